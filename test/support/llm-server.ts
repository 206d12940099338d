// A small real OpenAI-compatible chat-completions server on loopback, for the mind's planner
// tests. It plans by the events' own hints: an event whose data has `needs: "<capability>"` gets
// one task of that capability; `plan: "none"` gets none; `plan: "garbage"` makes the answer not
// JSON; `plan: "fail"` makes the server answer 500. A model named `keyed-*` requires the Bearer
// token given at start. GET /requests tells what it saw (model, host, whether the key matched).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ScriptedModel } from "./scripted-model.ts";

export type LlmServer = { port: number; host: string; close(): Promise<void> };

type Seen = { model: string; host: string; authorized: boolean; events: number };

export async function startLlmServer(opts: { token: string }): Promise<LlmServer> {
  const seen: Seen[] = [];
  // The seed's own agents' tests script their model per model name (test/support/scripted-model.ts).
  const scripted = new ScriptedModel();
  const server = http.createServer((req, res) => {
    if (scripted.control(req, res)) return;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/requests") return send(200, seen);
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return send(404, { error: { message: "not found" } });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: { model: string; messages: { role: string; content: string }[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        return send(400, { error: { message: "bad json" } });
      }
      if (scripted.has(body.model)) return scripted.answer(body as never, req, res);
      const authorized = req.headers.authorization === `Bearer ${opts.token}`;
      const user = JSON.parse(body.messages.find((m) => m.role === "user")?.content ?? "{}") as {
        events?: { eventId: string; type: string; data: { needs?: string; plan?: string } | null }[];
      };
      const events = user.events ?? [];
      seen.push({ model: body.model, host: String(req.headers.host), authorized, events: events.length });
      if (body.model.startsWith("keyed-") && !authorized) return send(401, { error: { message: "invalid api key" } });
      if (events.some((e) => e.data?.plan === "fail")) return send(500, { error: { message: "model overloaded" } });
      const content = events.some((e) => e.data?.plan === "garbage")
        ? "I think you should file an invoice."
        : JSON.stringify({
            tasks: events
              .filter((e) => e.data?.needs && e.data.plan !== "none")
              .map((e) => ({ eventId: e.eventId, capability: e.data!.needs!, title: `planned: ${e.type}`, priority: 7 })),
          });
      send(200, {
        id: "chatcmpl-test",
        object: "chat.completion",
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, host: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
