// A real loopback HTTP receiver for the mind's notification webhook. It verifies each delivery's
// Standard Webhooks signature itself, with node:crypto (not the seed's code): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}` under the base64 secret after `whsec_`. It answers
// 500 while told to fail (POST /fail {on: true}), to drive retries. GET /received lists what came.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Received = { id: string; timestamp: string; verified: boolean; host: string; path: string; answered: number; body: unknown };
export type AlertReceiver = { host: string; close(): Promise<void> };

export async function startAlertReceiver(opts: { secret: string }): Promise<AlertReceiver> {
  const key = Buffer.from(opts.secret.replace(/^whsec_/, ""), "base64");
  const received: Received[] = [];
  let failing = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const raw = Buffer.concat(chunks);
      if (req.method === "GET" && req.url === "/received") return send(200, received);
      if (req.method === "POST" && req.url === "/fail") {
        failing = (JSON.parse(raw.toString("utf8")) as { on: boolean }).on;
        return send(200, { failing });
      }
      const id = String(req.headers["webhook-id"] ?? "");
      const timestamp = String(req.headers["webhook-timestamp"] ?? "");
      const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(raw).digest();
      const verified = String(req.headers["webhook-signature"] ?? "")
        .split(" ")
        .some((part) => {
          const [v, sig] = part.split(",");
          const given = Buffer.from(sig ?? "", "base64");
          return v === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
        });
      const answered = failing ? 500 : verified ? 204 : 401;
      let body: unknown = null;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        body = raw.toString("utf8");
      }
      received.push({ id, timestamp, verified, host: String(req.headers.host), path: req.url ?? "", answered, body });
      res.writeHead(answered);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { host: `127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
