// GET /v1/openapi.json against the live Worker: every route registered on the app is in the
// document, and every documented operation, called for real (owner, agent or helper key, with a
// valid or a refused input), answers a status the document lists with a body its schema accepts.
import { Validator } from "@cfworker/json-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../workers/app.ts";
import { grantHelper, type Helper } from "../support/membrane.ts";
import { bindings, call, newAgent, unique, type TestAgent } from "../support/worker-fetch.ts";

type Schema = Record<string, unknown>;
type Operation = {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
  "x-seed-access": { public?: true; webhook?: string; keys?: ("root" | "agent" | "helper")[]; helperScope?: string };
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

let doc: Doc;
let agent: TestAgent;
let helper: Helper;
const ids: Record<string, string> = {};

beforeAll(async () => {
  const res = await call("GET", "/v1/openapi.json");
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
  agent = await newAgent("openapi", ["openapi-cap"]);
  helper = await grantHelper(["status:read", "coherence:read", "work:read", "work:write", "memory:read", "audit:read", "metrics:read", "bus:publish:*", "bus:read:*"]);
  ids.topic = unique("oa");
  ids.sub = unique("oasub");
  ids.doomedAgent = (await newAgent("openapi-doomed")).id;
  ids.doomedKey = (await newAgent("openapi-doomed-key")).id;
  ids.doomedHelper = (await grantHelper(["status:read"])).id;
  const task = await call("POST", "/v1/work", { key: bindings.TEST_ROOT_KEY, body: { title: "described", capability: "openapi-cap" } });
  ids.task = ((await task.json()) as { id: string }).id;
  const memory = await call("POST", "/v1/memory", { key: bindings.TEST_ROOT_KEY, body: { text: "the API describes itself" } });
  ids.memory = ((await memory.json()) as { id: string }).id;
});

/** A path's parameters, by the route they belong to. */
function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === "topic") return ids.topic!;
    if (name === "agentId") return agent.id;
    if (name === "source") return "openapi-src";
    if (name === "name") {
      if (path.startsWith("/v1/bus/subscriptions")) return ids.sub!;
      if (path.includes("/expectations/")) return "openapi-sys";
      if (path.includes("/schedules/")) return "openapi-sched";
      return "openapi-check";
    }
    if (path.startsWith("/v1/work")) return ids.task!;
    if (path.startsWith("/v1/memory")) return ids.memory!;
    if (path.startsWith("/v1/owner/agents")) return path.endsWith("{id}") ? (ids.doomedAgent as string) : agent.id;
    if (path.startsWith("/v1/owner/keys")) return ids.doomedKey!;
    if (path.startsWith("/v1/owner/membrane")) return ids.doomedHelper!;
    if (path.startsWith("/v1/owner/mind/rules")) return ids.rule ?? "nope";
    return "nope";
  });
}

// A valid body where one is cheap to give; routes that change the whole seed (handoff, the
// embedder, imports) get an invalid one and must answer their documented refusal.
const BODIES: Record<string, unknown> = {
  "POST /v1/owner/agents": { name: "openapi-added", capabilities: [] },
  "PATCH /v1/owner/agents/{id}": { capabilities: ["openapi-cap"] },
  "POST /v1/owner/membrane": { name: "openapi helper", scopes: ["status:read"], ttl: "1h" },
  "POST /v1/owner/mind/mode": { mode: "observe" },
  "PUT /v1/owner/mind/hooks/{source}": { scheme: "standard-webhooks" },
  "POST /v1/owner/mind/rules": { source: "openapi-src", event: "push", title: "t", capability: "openapi-cap" },
  "PUT /v1/owner/mind/planner": { model: "walked-model" },
  "POST /v1/owner/mind/import": { tasks: [{ title: "imported by the walk", capability: "openapi-cap", state: "done", createdAt: 1, finishedAt: 2 }] },
  "PUT /v1/owner/mind/expectations/{name}": { everyMs: 3_600_000 },
  "PUT /v1/owner/mind/schedules/{name}": { cron: "0 * * * *", title: "hourly", capability: "openapi-cap" },
  "PUT /v1/owner/mind/notify": { nope: true },
  "POST /v1/bus/topics/{topic}/messages": { body: { hello: "described" }, key: "k1" },
  "POST /v1/bus/topics/{topic}/messages:batch": { messages: [{ body: 1 }, { body: 2 }] },
  "PUT /v1/bus/topics/{topic}": { maxMessages: 1000 },
  "POST /v1/bus/agents/{agentId}/inbox": { body: "hi" },
  "PUT /v1/bus/subscriptions/{name}": { topic: "placeholder", startAt: "earliest" },
  "POST /v1/bus/subscriptions/{name}/pull": { max: 10 },
  "POST /v1/bus/subscriptions/{name}/ack": { ackIds: ["nope"] },
  "POST /v1/bus/subscriptions/{name}/nack": { ackIds: ["nope"] },
  "POST /v1/bus/subscriptions/{name}/seek": { seq: 1 },
  "POST /v1/work": { title: "from the walk", capability: "openapi-cap" },
  "POST /v1/work/{id}/fail": { reason: "walked" },
  "POST /v1/checkins/{name}": {},
  "PUT /v1/memory/embedder": { nope: true },
  "POST /v1/memory/reembed": { nope: true },
  "POST /v1/memory/import": { memories: [{ id: "openapi-imported", kind: "semantic", text: "imported by the walk", createdAt: 1 }] },
  "POST /v1/memory": { text: "walked through the document" },
  "POST /v1/memory/recall": { query: "document" },
  "POST /mcp": { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "openapi-walk", version: "1" } } },
};

/** Operations the walk gives a refused input on purpose (their documented refusal is still checked), and why. */
const NOT_WALKED: Record<string, string> = {
  "POST /v1/owner/handoff": "replaces the root key",
  "POST /v1/owner/handoff/master-key": "re-seals every secret",
  "PUT /v1/memory/embedder": "switches the whole memory's embedder",
  "PUT /v1/owner/mind/notify": "needs a declared egress service",
  "POST /v1/owner/approvals/{id}/approve": "needs an own agent waiting at a gated tool (test/workers/agents-approvals.test.ts)",
  "POST /v1/owner/approvals/{id}/deny": "the same",
  "POST /v1/hooks/{source}": "needs a signed delivery (test/workers/mind-hooks.test.ts)",
  "POST /v1/work/{id}/fail": "the walk completed the task first",
  "GET /v1/bus/connect": "a WebSocket upgrade (test/workers/bus-socket.test.ts)",
  "GET /mcp": "answers 405 by design",
  "DELETE /mcp": "needs the session header of an initialize",
};

function keyFor(key: string, access: Operation["x-seed-access"]): string | undefined {
  // The handoff replaces the root key: walk it with a key it refuses.
  if (key === "POST /v1/owner/handoff") return agent.token;
  const kinds = access.keys ?? [];
  if (key.startsWith("POST /v1/work/{id}/") || key === "GET /v1/bus/whoami") return agent.token;
  if (kinds.includes("root")) return bindings.TEST_ROOT_KEY;
  if (kinds.includes("agent")) return agent.token;
  if (kinds.includes("helper")) return helper.token;
  return undefined;
}

/** The document's objects list every field an answer holds: a field the routes add without
 *  describing it fails here (an object that says it takes more keeps its `additionalProperties`). */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== "object") return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closed(s)])) : closed(v)]));
  if (out.type === "object" && out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

function validate(schema: Schema, value: unknown): string[] {
  const v = new Validator({ ...(closed(schema) as Schema), components: closed(doc.components) } as never, "2020-12", false);
  const r = v.validate(value);
  return r.valid ? [] : r.errors.slice(0, 3).map((e) => `${e.instanceLocation} ${e.error}`);
}

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [method, path, op] as [string, string, Operation]));
}

async function check(method: string, path: string, op: Operation, res: Response): Promise<string[]> {
  const where = `${method.toUpperCase()} ${path} → ${res.status}`;
  const documented = op.responses[String(res.status)];
  if (!documented) return [`${where}: status not documented (${await res.text().then((t) => t.slice(0, 200))})`];
  const schema = documented.content?.["application/json"]?.schema;
  if (!schema) return [];
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`${where}: not JSON: ${text.slice(0, 100)}`];
  }
  return validate(schema, body).map((e) => `${where}: ${e}`);
}

describe("GET /v1/openapi.json", () => {
  it("is public OpenAPI 3.1 and holds no key", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const text = JSON.stringify(doc);
    expect(text).not.toContain(bindings.TEST_ROOT_KEY);
    expect(text).not.toMatch(/seed_(root|agent|helper)_[a-z0-9]{16}_/);
  });

  it("describes the body of every success answer", () => {
    const missing = operations().flatMap(([m, p, op]) => Object.entries(op.responses).filter(([code, r]) => Number(code) < 400 && !["101", "202", "204"].includes(code) && !r.content).map(([code]) => `${m.toUpperCase()} ${p} ${code}`));
    expect(missing).toEqual([]);
  });

  it("documents every route the app registers", () => {
    const documented = new Set(operations().map(([m, p]) => `${m.toUpperCase()} ${p}`));
    // The console's HTML pages (/ and /console/*, workers/console) are not part of the JSON API.
    const html = (p: string) => p === "/" || p === "/console" || p.startsWith("/console/");
    const registered = new Set(app.routes.filter((r) => r.method !== "ALL" && !html(r.path)).map((r) => `${r.method} ${r.path.replace(/\/:(\w+)(\{[^}]*\})?/g, "/{$1}")}`));
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((d) => !registered.has(d))).toEqual([]);
  });

  it("says who may call each route: a keyed route refuses no key with a documented 401, a public one does not", async () => {
    const problems: string[] = [];
    for (const [method, path, op] of operations()) {
      const access = op["x-seed-access"];
      expect(access, `${method} ${path}`).toBeDefined();
      const res = await call(method.toUpperCase(), fill(path), { body: op.requestBody ? {} : undefined });
      if (access.keys) {
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        if (res.status !== 401) problems.push(`${method.toUpperCase()} ${path}: ${res.status} without a key`);
        problems.push(...(await check(method, path, op, res)));
      } else if (res.status === 401) problems.push(`${method.toUpperCase()} ${path}: public but 401`);
      else await res.body?.cancel();
    }
    expect(problems).toEqual([]);
  });

  it("every documented operation answers a documented status with a body that matches its schema", async () => {
    const problems: string[] = [];
    const validated = new Set<string>();
    const missed: string[] = [];
    const sub = `PUT /v1/bus/subscriptions/{name}`;
    BODIES[sub] = { topic: ids.topic, startAt: "earliest" };
    // Deletions last, so that the routes of what they delete (a subscription's pull, ack, stats …) find it.
    const ordered = operations().sort(([a], [b]) => Number(a === "delete") - Number(b === "delete"));
    for (const [method, path, op] of ordered) {
      const key = `${method.toUpperCase()} ${path}`;
      const body = op.requestBody ? (BODIES[key] ?? {}) : undefined;
      const headers = path === "/mcp" ? { Accept: "application/json, text/event-stream" } : undefined;
      const res = await call(method.toUpperCase(), fill(path), { key: keyFor(key, op["x-seed-access"]), body, headers });
      if (key === "POST /v1/owner/mind/rules" && res.status === 201) ids.rule = ((await res.clone().json()) as { id: string }).id;
      if (res.ok && op.responses[String(res.status)]?.content) validated.add(key);
      else missed.push(`${key} ${res.status}`);
      problems.push(...(await check(method, path, op, res)));
    }
    expect(problems).toEqual([]);
    console.log(`success bodies validated: ${validated.size} of ${operations().length}; refused: ${missed.join(", ")}`);
    // Every other operation answered 2xx, and its body matched the document.
    expect(missed.map((m) => m.replace(/ \d+$/, "")).filter((k) => !(k in NOT_WALKED))).toEqual([]);
  });

  it("names the path segment at fault: a bad topic in the URL is path.topic", async () => {
    const res = await call("POST", "/v1/bus/topics/Not%20A%20Topic/messages", { key: agent.token, body: { body: 1 } });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_input");
    expect(error.message).toMatch(/^path\.topic: topic names are/);
  });
});
