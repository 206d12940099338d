// A small real OpenAI-compatible embeddings server on loopback, for tests of the seed's
// `openai` embedder: POST /v1/embeddings with a Bearer token, answers in OpenAI's shape (in
// reverse order, so clients must sort by index). Vectors are the offline embedder's at the
// server's own dimension, so tests can predict them. GET /stats tells what it saw.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";

export type EmbeddingsServer = { port: number; host: string; close(): Promise<void> };
export type EmbeddingsServerOptions = { token: string; model: string; dimension: number };

export async function startEmbeddingsServer(opts: EmbeddingsServerOptions): Promise<EmbeddingsServer> {
  const stats = { requests: 0, inputs: 0, hosts: [] as string[], unauthorized: 0 };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/stats") return send(200, stats);
    if (req.method !== "POST" || req.url !== "/v1/embeddings") return send(404, { error: { message: "not found" } });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      stats.requests++;
      stats.hosts.push(String(req.headers.host));
      if (req.headers.authorization !== `Bearer ${opts.token}`) {
        stats.unauthorized++;
        return send(401, { error: { message: "invalid api key" } });
      }
      let body: { model?: string; input?: string | string[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        return send(400, { error: { message: "bad json" } });
      }
      if (body.model !== opts.model) return send(404, { error: { message: `model ${body.model} not found` } });
      const input = typeof body.input === "string" ? [body.input] : (body.input ?? []);
      stats.inputs += input.length;
      const data = input.map((t, index) => ({ object: "embedding", index, embedding: Array.from(embedOffline(t, opts.dimension)) })).reverse();
      send(200, { object: "list", model: opts.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
