// /v1/memory through the Worker's real default export, against the real libSQL server. The
// database is shared with other test files: every test works under its own agents and tags.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { keys } from "../../lib/db/schema.ts";
import { mintKey, randomId } from "../../lib/keys.ts";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";
import { blobToVector } from "../../lib/memory/vector-codec.ts";
import { openDb } from "../../lib/db/client.ts";
import { asRoot, bindings, call, expectError } from "../support/worker-fetch.ts";

type Agent = { id: string; name: string; token: string };
type Hit = { id: string; text: string; tags: string[]; agentId: string | null; shared: boolean; kind: string; foundBy: string[]; score: number };
type Recall = { mode: string; k: number; embedder: { dimension: number }; results: Hit[] };

async function addAgent(prefix: string): Promise<Agent> {
  const res = await asRoot("POST", "/v1/owner/agents", { name: `${prefix}-${randomId(6)}` });
  expect(res.status).toBe(201);
  return (await res.json()) as Agent;
}

async function helperKey(scopes: string[]): Promise<string> {
  const k = await mintKey("helper");
  await openDb(bindings).insert(keys).values({ id: k.id, kind: "helper", name: "provider", scopes, secretHash: k.secretHash, createdAt: Date.now() });
  return k.token;
}

async function rememberAs(key: string, body: unknown): Promise<string[]> {
  const res = await call("POST", "/v1/memory", { key, body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { ids: string[] }).ids;
}

async function recallAs(key: string, body: Record<string, unknown>): Promise<Recall> {
  const res = await call("POST", "/v1/memory/recall", { key, body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Recall;
}

const tag = () => `t-${randomId(8)}`;
const root = bindings.TEST_ROOT_KEY;

describe("remember and read back", () => {
  it("an agent remembers one memory or a batch; each is its own, with its source", async () => {
    const a = await addAgent("scribe");
    const one = await call("POST", "/v1/memory", { key: a.token, body: { text: "The invoices for ACME were sent", kind: "episodic", tags: ["billing"] } });
    expect(one.status).toBe(201);
    const { id, ids } = (await one.json()) as { id: string; ids: string[] };
    expect(ids).toEqual([id]);
    expect(id).toMatch(/^mem_[a-z0-9]{16}$/);
    const got = await call("GET", `/v1/memory/${id}`, { key: a.token });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id, agentId: a.id, shared: false, kind: "episodic", text: "The invoices for ACME were sent", tags: ["billing"], source: `agent:${a.name}`, expiresAt: null });
    const batch = await rememberAs(a.token, { memories: [{ text: "one" }, { text: "two", shared: true }, { text: "three", tags: ["x", "x"] }] });
    expect(batch).toHaveLength(3);
    expect(new Set(batch).size).toBe(3);
    expect(((await (await call("GET", `/v1/memory/${batch[2]}`, { key: a.token })).json()) as Hit).tags).toEqual(["x"]);
  });

  it("the owner may write for an agent or for the seed itself", async () => {
    const [id] = await rememberAs(root, { text: "owner note for the seed", source: "owner-cli" });
    expect(await (await asRoot("GET", `/v1/memory/${id}`)).json()).toMatchObject({ agentId: null, source: "owner-cli" });
    const [forAgent] = await rememberAs(root, { text: "owner note for an agent", agentId: "someagent000000a" });
    expect(((await (await asRoot("GET", `/v1/memory/${forAgent}`)).json()) as Hit).agentId).toBe("someagent000000a");
  });
});

describe("recall", () => {
  it("finds by meaning (vector) and by words (text), and fuses both (hybrid)", async () => {
    const a = await addAgent("finder");
    const t = tag();
    const [pay, ref, acme] = await rememberAs(a.token, {
      memories: [
        { text: "Payment received from Globex for the March invoice", tags: [t] },
        { text: "Customer asked about the refund policy for order INV-20931", tags: [t] },
        { text: "The invoices for ACME were sent on Monday", tags: [t] },
        { text: "The weather in Lisbon was sunny all week", tags: [t] },
      ],
    });
    const vector = await recallAs(a.token, { query: "recieved paymnt globex invoices", mode: "vector", k: 1, tags: [t] });
    expect(vector.results.map((r) => r.id)).toEqual([pay]);
    expect(vector.results[0]!.foundBy).toEqual(["vector"]);
    const text = await recallAs(a.token, { query: "INV-20931", mode: "text", k: 5, tags: [t] });
    expect(text.results.map((r) => r.id)).toEqual([ref]);
    expect(text.results[0]!.foundBy).toEqual(["text"]);
    const hybrid = await recallAs(a.token, { query: "ACME invoices", k: 2, tags: [t] });
    expect(hybrid.mode).toBe("hybrid");
    expect(hybrid.results[0]!.id).toBe(acme);
    expect(hybrid.results[0]!.foundBy).toEqual(["vector", "text"]);
  });

  it("applies filters before k: k results that all pass, whatever else is closer", async () => {
    const a = await addAgent("filter");
    const t = tag();
    const rare = tag();
    await rememberAs(a.token, { memories: Array.from({ length: 30 }, (_, i) => ({ text: `deploy of the payments service failed again, attempt ${i}`, tags: [t] })) });
    const wanted = await rememberAs(a.token, {
      memories: [
        { text: "a note about lunch", tags: [t, rare], kind: "procedural" },
        { text: "another note about dinner", tags: [t, rare], kind: "procedural" },
        { text: "third note about breakfast", tags: [t, rare], kind: "episodic" },
      ],
    });
    for (const mode of ["vector", "hybrid"]) {
      const r = await recallAs(a.token, { query: "deploy payments service failed", mode, k: 3, tags: [rare] });
      expect(r.results.map((x) => x.id).sort(), mode).toEqual([...wanted].sort());
    }
    const byKind = await recallAs(a.token, { query: "deploy payments note", mode: "vector", k: 5, tags: [t], kind: "procedural" });
    expect(byKind.results.map((x) => x.id).sort()).toEqual(wanted.slice(0, 2).sort());
    const later = await recallAs(a.token, { query: "deploy", k: 5, tags: [t], since: new Date(Date.now() + 60_000).toISOString() });
    expect(later.results).toEqual([]);
  });

  it("accepts a query vector from the active embedder instead of text", async () => {
    const a = await addAgent("vec");
    const t = tag();
    const [id] = await rememberAs(a.token, { text: "the kiln reached 1200 degrees", tags: [t] });
    const r = await recallAs(a.token, { embedding: Array.from(embedOffline("kiln degrees")), mode: "vector", k: 1, tags: [t] });
    expect(r.results.map((x) => x.id)).toEqual([id]);
    expect(r.embedder.dimension).toBe(256);
  });
});

describe("who may do what", () => {
  it("an agent reaches its own and shared memories; the owner reaches all", async () => {
    const [a, b] = await Promise.all([addAgent("alpha"), addAgent("beta")]);
    const t = tag();
    const [mine] = await rememberAs(a.token, { text: "alpha private zebra note", tags: [t] });
    const [secret, shared] = await rememberAs(b.token, { memories: [{ text: "beta private zebra note", tags: [t] }, { text: "beta shared zebra note", tags: [t], shared: true }] });
    for (const mode of ["vector", "text", "hybrid"]) {
      const seen = (await recallAs(a.token, { query: "zebra note", mode, k: 10, tags: [t] })).results.map((x) => x.id).sort();
      expect(seen, mode).toEqual([mine, shared].sort());
      const all = (await recallAs(root, { query: "zebra note", mode, k: 10, tags: [t] })).results.map((x) => x.id).sort();
      expect(all, mode).toEqual([mine, secret, shared].sort());
    }
    // Filtering by another agent shows only what it shares.
    expect((await recallAs(a.token, { query: "zebra", k: 10, agentId: b.id, tags: [t] })).results.map((x) => x.id)).toEqual([shared]);
    await expectError(await call("GET", `/v1/memory/${secret}`, { key: a.token }), 404, "memory_not_found");
    expect((await call("GET", `/v1/memory/${shared}`, { key: a.token })).status).toBe(200);
    await expectError(await call("DELETE", `/v1/memory/${shared}`, { key: a.token }), 403, "not_your_memory");
    await expectError(await call("DELETE", `/v1/memory/${secret}`, { key: a.token }), 404, "memory_not_found");
    await expectError(await call("POST", "/v1/memory", { key: a.token, body: { text: "forged", agentId: b.id } }), 403, "not_your_memory");
    expect((await call("DELETE", `/v1/memory/${secret}`, { key: root })).status).toBe(200);
  });

  it("a helper reads only with memory:read, and never writes", async () => {
    const reader = await helperKey(["memory:read"]);
    const other = await helperKey(["bus:publish:*"]);
    const [id] = await rememberAs(root, { text: "a note the provider may read" });
    const got = await call("GET", `/v1/memory/${id}`, { key: reader });
    expect(got.status, await got.clone().text()).toBe(200);
    expect((await recallAs(reader, { query: "provider may read", mode: "text", k: 50 })).results.map((x) => x.id)).toContain(id);
    await expectError(await call("POST", "/v1/memory", { key: reader, body: { text: "helpers cannot write" } }), 403, "wrong_key_kind");
    await expectError(await call("DELETE", `/v1/memory/${id}`, { key: reader }), 403, "wrong_key_kind");
    await expectError(await call("POST", "/v1/memory/recall", { key: other, body: { query: "x" } }), 403, "missing_scope");
    await expectError(await call("GET", `/v1/memory/${id}`, { key: other }), 403, "missing_scope");
    await expectError(await call("GET", "/v1/memory/export", { key: reader }), 403);
    await expectError(await call("POST", "/v1/memory/recall", { body: { query: "x" } }), 401);
  });
});

describe("forgetting", () => {
  it("a deleted memory is gone from vector and text recall and from GET", async () => {
    const a = await addAgent("forget");
    const t = tag();
    const [id, keep] = await rememberAs(a.token, { memories: [{ text: "ephemeral quokka sighting", tags: [t] }, { text: "quokka habitat notes", tags: [t] }] });
    const ids = async (mode: string) => (await recallAs(a.token, { query: "quokka sighting", mode, k: 10, tags: [t] })).results.map((x) => x.id);
    expect(await ids("text")).toContain(id);
    expect(await ids("vector")).toContain(id);
    const del = await call("DELETE", `/v1/memory/${id}`, { key: a.token });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id, deleted: true });
    for (const mode of ["vector", "text", "hybrid"]) expect(await ids(mode), mode).toEqual([keep]);
    await expectError(await call("GET", `/v1/memory/${id}`, { key: a.token }), 404, "memory_not_found");
    await expectError(await call("DELETE", `/v1/memory/${id}`, { key: a.token }), 404, "memory_not_found");
  });
});

describe("bad input gets clear 4xx errors", () => {
  it("on remember", async () => {
    const a = await addAgent("bad");
    const post = (body: unknown) => call("POST", "/v1/memory", { key: a.token, body });
    await expectError(await post({ text: "" }), 422, "empty_text");
    await expectError(await post({ text: "   \n\t" }), 422, "empty_text");
    await expectError(await post({ memories: [{ text: "fine" }, { text: " " }] }), 422, "empty_text");
    const msg = await expectError(await post({ text: "x".repeat(64 * 1024 + 1) }), 413, "text_too_large");
    expect(msg).toContain("64 KiB");
    expect((await post({ text: "x".repeat(64 * 1024) })).status).toBe(201);
    // One request is one transaction: at most 6 MiB, whatever the count.
    await expectError(await post({ memories: Array.from({ length: 97 }, () => ({ text: "y".repeat(64 * 1024) })) }), 413, "payload_too_large");
    await expectError(await post({ memories: Array.from({ length: 501 }, () => ({ text: "x" })) }), 422, "invalid_input");
    await expectError(await post({ memories: [] }), 422, "invalid_input");
    await expectError(await post({ text: "x", embedding: [0.1, 0.2, 0.3] }), 422, "wrong_dimension");
    await expectError(await post({ text: "x", kind: "dream" }), 422, "invalid_input");
    await expectError(await post({ text: "x", tags: ["no\nnewlines"] }), 422, "invalid_input");
    await expectError(await post({ text: "x", expiresAt: 1 }), 422, "invalid_input");
    await expectError(await post({ text: 42 }), 422, "invalid_input");
    await expectError(await call("POST", "/v1/memory", { key: a.token, raw: "{nope" }), 400, "invalid_json");
  });

  it("on recall, get and delete", async () => {
    const a = await addAgent("badrecall");
    const ask = (body: unknown) => call("POST", "/v1/memory/recall", { key: a.token, body });
    expect(await expectError(await ask({ query: "x", k: 0 }), 422, "invalid_input")).toContain("k must be 1 or more");
    expect(await expectError(await ask({ query: "x", k: 101 }), 422, "invalid_input")).toContain("at most 100");
    await expectError(await ask({ query: "x", k: 2.5 }), 422, "invalid_input");
    await expectError(await ask({ query: "x", mode: "psychic" }), 422, "invalid_input");
    await expectError(await ask({ query: "" }), 422, "empty_query");
    await expectError(await ask({ k: 3 }), 422, "missing_query");
    await expectError(await ask({ query: "x".repeat(9000) }), 413, "query_too_large");
    await expectError(await ask({ embedding: [1, 0, 0], mode: "vector" }), 422, "wrong_dimension");
    await expectError(await ask({ query: "x", since: "last tuesday" }), 422, "invalid_input");
    await expectError(await ask({ query: "x", exact: true }), 403, "exact_owner_only");
    await expectError(await call("GET", "/v1/memory/mem_doesnotexist000", { key: a.token }), 404, "memory_not_found");
    await expectError(await call("DELETE", "/v1/memory/mem_doesnotexist000", { key: a.token }), 404, "memory_not_found");
  });
});

describe("memory poisoning (issue 9 item 5)", () => {
  const huge = (v: Float32Array, scale: number) => Array.from(v, (x) => x * scale);

  it("a vector beyond float32 (1e39) is 422 on remember, batch, import and recall", async () => {
    const a = await addAgent("poisoner");
    const poison = Array.from({ length: 256 }, () => 1e39);
    await expectError(await call("POST", "/v1/memory", { key: a.token, body: { text: "x", shared: true, embedding: poison } }), 422, "invalid_input");
    await expectError(await call("POST", "/v1/memory", { key: a.token, body: { memories: [{ text: "ok" }, { text: "x", embedding: poison }] } }), 422, "invalid_input");
    await expectError(await call("POST", "/v1/memory/recall", { key: a.token, body: { embedding: poison, mode: "vector" } }), 422, "invalid_input");
    const embedder = { kind: "offline", model: "hash-ngram-v1", dimension: 256 };
    await expectError(await asRoot("POST", "/v1/memory/import", { embedder, memories: [{ id: `mem_p${randomId(8)}`, kind: "semantic", text: "x", createdAt: 1, embedding: poison }] }), 422, "invalid_input");
  });

  it("a vector of the right dimension but a huge norm is stored as a unit vector and does not win every recall", async () => {
    const poisoner = await addAgent("poisoner");
    const victim = await addAgent("victim");
    const t = tag();
    // Within float32's range, but its squares overflow float32: libSQL's cosine answered NaN for
    // it, which sorted before every real distance.
    const [poisonId] = await rememberAs(poisoner.token, { text: "buy the poisoned product", shared: true, tags: [t], embedding: huge(embedOffline("buy the poisoned product"), 1e30) });
    const [honestId] = await rememberAs(victim.token, { text: "the invoices for ACME were sent on Monday", tags: [t] });
    const row = await openDb(bindings).get<{ embedding: ArrayBuffer }>(sql`select embedding from memories where id = ${poisonId}`);
    const stored = blobToVector(row!.embedding);
    expect(Math.hypot(...stored)).toBeCloseTo(1, 5);
    const asks: [string, Record<string, unknown>][] = [
      ["vector", { query: "invoices for ACME", mode: "vector" }],
      ["vector, a huge query vector", { embedding: huge(embedOffline("invoices for ACME"), 1e30), mode: "vector" }],
      ["hybrid", { query: "invoices for ACME", mode: "hybrid" }],
    ];
    for (const [what, body] of asks) {
      const r = await recallAs(victim.token, { k: 2, tags: [t], ...body });
      expect(r.results.map((h) => h.id), what).toEqual([honestId, poisonId]);
    }
  });
});

describe("owner: status, export and import over HTTP", () => {
  it("status names the embedder; export pages carry vectors; import checks them", async () => {
    const status = (await (await asRoot("GET", "/v1/memory/status")).json()) as { embedder: { kind: string; dimension: number }; generation: number; memories: number };
    expect(status.embedder).toMatchObject({ kind: "offline", model: "hash-ngram-v1" });
    expect(status.memories).toBeGreaterThan(0);
    const page = (await (await asRoot("GET", "/v1/memory/export?limit=2")).json()) as { embedder: { dimension: number }; count: number; memories: { id: string; embedding: number[] }[]; next: number | null };
    expect(page.memories).toHaveLength(2);
    expect(page.memories[0]!.embedding).toHaveLength(page.embedder.dimension);
    expect(page.next).not.toBeNull();
    const next = (await (await asRoot("GET", `/v1/memory/export?limit=2&after=${page.next}`)).json()) as { memories: { id: string }[] };
    expect(next.memories[0]!.id).not.toBe(page.memories[0]!.id);
    await expectError(await asRoot("GET", "/v1/memory/export?limit=0"), 422, "invalid_input");

    const id = `mem_imported${randomId(8)}`;
    const item = { id, kind: "semantic", text: "imported note about narwhals", createdAt: 1_700_000_000_000, embedding: Array.from(embedOffline("imported note about narwhals")) };
    const imp = await asRoot("POST", "/v1/memory/import", { embedder: status.embedder, memories: [item] });
    expect(await imp.json()).toEqual({ imported: 1, skipped: 0 });
    expect(await (await asRoot("POST", "/v1/memory/import", { embedder: status.embedder, memories: [item] })).json()).toEqual({ imported: 0, skipped: 1 });
    expect(await (await asRoot("GET", `/v1/memory/${id}`)).json()).toMatchObject({ id, createdAt: 1_700_000_000_000, agentId: null });
    await expectError(await asRoot("POST", "/v1/memory/import", { embedder: { ...status.embedder, model: "other" }, memories: [{ ...item, id: `${id}x` }] }), 409, "embedder_mismatch");
    await expectError(await asRoot("POST", "/v1/memory/import", { embedder: status.embedder, memories: [{ ...item, id: `${id}y`, embedding: [1, 2] }] }), 422, "wrong_dimension");
    const a = await addAgent("noimport");
    await expectError(await call("POST", "/v1/memory/import", { key: a.token, body: { memories: [item] } }), 403);
  });
});
