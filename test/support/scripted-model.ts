// A scripted model for the seed's own agents: real OpenAI chat-completions over HTTP on loopback,
// answering each model by its script. The turn is the number of assistant messages already in the
// conversation, so a resumed conversation (after a crash) gets the same turn again. Served alone
// (startScriptedModel, for system tests and benchmarks) or inside test/support/llm-server.ts.
//   PUT  /scripts/<model>          {turns: Turn[], repeatLast?}   the script
//   GET  /scripts/<model>/calls    what the model was asked, turn by turn
//   POST /scripts/<model>/release  answers the requests a `hold` turn is holding
//   ANY  /sink/<path>              a plain HTTP endpoint for an agent's `http_request`: recorded; the
//                                  first request is held unanswered, later ones get 200 at once
//   GET  /sinks                    what the sink received
import http from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedCall = { name: string; arguments: unknown; id?: string };
export type Turn =
  | { content: string; usage?: Usage }
  | { tool_calls: ScriptedCall[]; content?: string; usage?: Usage }
  | { status: number; error?: string; /** Only the first n requests of this turn; then `then`. */ times?: number; then?: Turn }
  /** Holds the first request of this turn until released; later requests of the turn get `then` at once. */
  | { hold: true; then?: Turn };
type Usage = { prompt_tokens: number; completion_tokens: number };
type Script = { turns: Turn[]; repeatLast?: boolean };

export type SeenCall = {
  turn: number;
  receivedAt: number;
  answeredAt: number | null;
  authorization: string | null;
  host: string | null;
  tools: string[];
  messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: { name: string; arguments: string }[] }[];
};

type ChatBody = { model: string; messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }[]; tools?: { function: { name: string } }[] };

export const DEFAULT_USAGE: Usage = { prompt_tokens: 100, completion_tokens: 10 };

export class ScriptedModel {
  readonly #scripts = new Map<string, Script>();
  readonly #calls = new Map<string, SeenCall[]>();
  readonly #held = new Map<string, (() => void)[]>();
  readonly #hits = new Map<string, number>();

  has(model: string): boolean {
    return this.#scripts.has(model);
  }

  /** The control routes; false when the request is not one of them. */
  control(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const m = /^\/scripts\/([^/]+)(\/calls|\/release)?$/.exec(req.url ?? "");
    if (!m) return false;
    const model = decodeURIComponent(m[1]!);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (m[2] === "/calls") {
      send(200, this.#calls.get(model) ?? []);
    } else if (m[2] === "/release") {
      const held = this.#held.get(model) ?? [];
      this.#held.set(model, []);
      for (const h of held) h();
      send(200, { released: held.length });
    } else {
      readBody(req).then((text) => {
        this.#scripts.set(model, JSON.parse(text) as Script);
        this.#calls.set(model, []);
        send(200, { ok: true });
      });
    }
    return true;
  }

  answer(body: ChatBody, req: http.IncomingMessage, res: http.ServerResponse): void {
    const script = this.#scripts.get(body.model)!;
    const turn = body.messages.filter((x) => x.role === "assistant").length;
    const seen: SeenCall = {
      turn,
      receivedAt: performance.now(),
      answeredAt: null,
      authorization: req.headers.authorization ?? null,
      host: req.headers.host ?? null,
      tools: (body.tools ?? []).map((t) => t.function.name),
      messages: body.messages.map((x) => ({
        role: x.role,
        content: x.content,
        ...(x.tool_call_id ? { tool_call_id: x.tool_call_id } : {}),
        ...(x.tool_calls ? { tool_calls: x.tool_calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments })) } : {}),
      })),
    };
    this.#calls.get(body.model)!.push(seen);
    const t = script.turns[Math.min(turn, script.turns.length - 1)];
    const step = turn < script.turns.length || script.repeatLast ? t : { status: 500, error: `the script of ${body.model} has no turn ${turn}` };
    this.#reply(body.model, step!, seen, turn, res);
  }

  #reply(model: string, t: Turn, seen: SeenCall, turn: number, res: http.ServerResponse): void {
    const send = (status: number, payload: unknown) => {
      seen.answeredAt = performance.now();
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    if ("hold" in t) {
      const key = `${model}:${turn}:hold`;
      const hits = (this.#hits.get(key) ?? 0) + 1;
      this.#hits.set(key, hits);
      if (hits > 1) return this.#reply(model, t.then ?? { content: "released" }, seen, turn, res);
      const list = this.#held.get(model) ?? [];
      list.push(() => this.#reply(model, t.then ?? { content: "released" }, seen, turn, res));
      this.#held.set(model, list);
      return;
    }
    if ("status" in t) {
      const key = `${model}:${turn}`;
      const hits = (this.#hits.get(key) ?? 0) + 1;
      this.#hits.set(key, hits);
      if (t.times === undefined || hits <= t.times) return send(t.status, { error: { message: t.error ?? "scripted failure" } });
      return this.#reply(model, t.then ?? { content: "recovered" }, seen, turn, res);
    }
    const calls = "tool_calls" in t ? t.tool_calls : [];
    send(200, {
      id: `chatcmpl-${turn}`,
      object: "chat.completion",
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "content" in t ? (t.content ?? null) : null,
            ...(calls.length
              ? { tool_calls: calls.map((c, i) => ({ id: c.id ?? `call_${turn}_${i}`, type: "function", function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) } })) }
              : {}),
          },
          finish_reason: calls.length ? "tool_calls" : "stop",
        },
      ],
      usage: { ...DEFAULT_USAGE, ...(t.usage ?? {}), total_tokens: 0 },
    });
  }
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A loopback server that is only the scripted model (system tests, benchmarks). */
export async function startScriptedModel(): Promise<{ port: number; url: string; model: ScriptedModel; close(): Promise<void> }> {
  const model = new ScriptedModel();
  const sink: { method: string; path: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    if (model.control(req, res)) return;
    if (req.url === "/sinks") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(sink));
    }
    if (req.url?.startsWith("/sink/")) {
      readBody(req).then((body) => {
        sink.push({ method: req.method ?? "", path: req.url ?? "", body });
        if (sink.length === 1) return; // held: the caller sees no answer
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
      });
      return;
    }
    if (req.method !== "POST" || !/\/chat\/completions$/.test(req.url ?? "")) {
      res.writeHead(404, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ error: { message: "not found" } }));
    }
    readBody(req).then((text) => {
      const body = JSON.parse(text) as ChatBody;
      if (!model.has(body.model)) {
        res.writeHead(404, { "Content-Type": "application/json" });
        return res.end(JSON.stringify({ error: { message: `no script for model ${body.model}` } }));
      }
      model.answer(body, req, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    model,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
