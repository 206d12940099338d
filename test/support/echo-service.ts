// A declared service for the seed's own agents' `http_request`: a real HTTP server on loopback that
// records what it received and echoes it back — including the Authorization header, so that a test
// can prove the agent never sees the credential the seed injected.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./scripted-model.ts";

export type EchoSeen = { method: string; path: string; authorization: string | null; idempotencyKey: string | null; host: string | null; body: string };

export async function startEchoService(): Promise<{ host: string; close(): Promise<void> }> {
  const seen: EchoSeen[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === "/__seen") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(seen));
    }
    readBody(req).then((body) => {
      const s: EchoSeen = { method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization ?? null, idempotencyKey: (req.headers["idempotency-key"] as string) ?? null, host: req.headers.host ?? null, body };
      seen.push(s);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ echo: s }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
