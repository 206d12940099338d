// Memory at the database level, against the real libSQL server process: recall by meaning and by
// words, filters before k, deletes leaving both indexes, expiry, export → import into a second
// database with identical recall, and a resumable embedder switch.
import { createClient, type Client } from "@libsql/client";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecallBody } from "../../lib/memory/memory-input.ts";
import { reembedProgress, reembedStep, setEmbedder } from "../../lib/memory/memory-reembed.ts";
import { indexOptionsOf } from "../../lib/memory/memory-index.ts";
import { readSettings, VECTOR_INDEX_OPTIONS } from "../../lib/memory/memory-settings.ts";
import { memoryStatus } from "../../lib/memory/memory-status.ts";
import { forgetMemory, getMemory } from "../../lib/memory/memory-store.ts";
import { exportPage, importMemories, type ExportedMemory } from "../../lib/memory/memory-transfer.ts";
import type { AnyDb, MemoryScope } from "../../lib/memory/memory-types.ts";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";
import { recall, type RecallDeps } from "../../lib/memory/recall.ts";
import { insertMemorySql, remember } from "../../lib/memory/remember.ts";
import { vectorToBlob } from "../../lib/memory/vector-codec.ts";
import { applyMigrations } from "../../scripts/cli/migrate.ts";
import { startDbServerProcess, type DbServerProcess } from "../support/db-server-process.ts";

const ALL: MemoryScope = { kind: "all" };

type Seed = { server: DbServerProcess; client: Client; db: AnyDb };

async function freshSeed(): Promise<Seed> {
  const server = await startDbServerProcess();
  await applyMigrations(server.dbPath);
  const client = createClient({ url: server.url, authToken: server.token });
  return { server, client, db: drizzle(client) as unknown as AnyDb };
}

const ask = (db: AnyDb, body: Record<string, unknown>, deps: Partial<RecallDeps> = {}) => recall(db, RecallBody.parse(body), { scope: ALL, ...deps });
const texts = (r: { results: { text: string }[] }) => r.results.map((x) => x.text);

let a: Seed;
let b: Seed;

const CORPUS = [
  { text: "The invoices for ACME were sent on Monday", tags: ["billing"], kind: "episodic" as const },
  { text: "Deploy of the payments service failed with error 502", tags: ["ops"], kind: "episodic" as const },
  { text: "Customer asked about the refund policy for order INV-20931", tags: ["billing", "support"] },
  { text: "Always run the migrations before restarting the server", tags: ["ops"], kind: "procedural" as const },
  { text: "The weather in Lisbon was sunny all week" },
  { text: "Quarterly budget review moved to Thursday", tags: ["planning"] },
  { text: "Payment received from Globex for the March invoice", tags: ["billing"] },
];

beforeAll(async () => {
  [a, b] = await Promise.all([freshSeed(), freshSeed()]);
  await remember(a.db, CORPUS, { now: 1_000 });
}, 60_000);

afterAll(async () => {
  a?.client.close();
  b?.client.close();
  await Promise.all([a?.server.dispose(), b?.server.dispose()]);
});

describe("schema", () => {
  it("the migration's vector index has the options every later index is created with", async () => {
    const [row] = await a.db.all<{ sql: string }>(sql`select sql from sqlite_master where name = 'memories_embedding_idx'`);
    for (const option of VECTOR_INDEX_OPTIONS) expect(row!.sql).toContain(`'${option}'`);
    expect(await readSettings(a.db)).toMatchObject({ embedder: { kind: "offline", dimension: 256 }, vectorIndex: "memories_embedding_idx", generation: 1 });
  });

  it("a batch the server stops for taking too long is a clear 503, and nothing of it is written", async () => {
    const server = await startDbServerProcess({ args: ["--max-request-ms", "1"] });
    const client = createClient({ url: server.url, authToken: server.token });
    try {
      await applyMigrations(server.dbPath);
      const db = drizzle(client) as unknown as AnyDb;
      const err = await remember(db, Array.from({ length: 300 }, (_, i) => ({ text: `slow batch memory number ${i}` }))).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 503, code: "batch_too_slow" });
      expect(await db.get<{ n: number }>(sql`select count(*) as n from memories`)).toEqual({ n: 0 });
    } finally {
      client.close();
      await server.dispose();
    }
  });

  it("an existing seed's vector index gets the current options when the migrations run, in every generation", async () => {
    // Options other than today's (an older or newer seed's), whatever today's are.
    const OLD = "'metric=cosine', 'compress_neighbors=float8', 'max_neighbors=16'";
    const c = await freshSeed();
    try {
      const optionsOf = async (name: string) => indexOptionsOf((await c.db.get<{ sql: string }>(sql`select sql from sqlite_master where name = ${name}`))!.sql);
      const makeOld = async (name: string) => {
        await c.db.run(sql.raw(`drop index ${name}`));
        await c.db.run(sql.raw(`create index ${name} on memories (libsql_vector_idx(embedding, ${OLD}))`));
      };
      // A seed whose index has other options, with memories in it.
      await makeOld("memories_embedding_idx");
      await remember(c.db, CORPUS, { now: 1_000 });
      await applyMigrations(c.server.dbPath);
      expect(await optionsOf("memories_embedding_idx")).toEqual([...VECTOR_INDEX_OPTIONS]);
      const shadow = async (name: string) => (await c.db.get<{ n: number }>(sql.raw(`select count(*) as n from ${name}_shadow`)))!.n;
      expect(await shadow("memories_embedding_idx")).toBe(CORPUS.length);
      const viaIndex = await ask(c.db, { query: "invoices for ACME", mode: "vector", k: 1 }, { exactScanMax: 0 });
      expect(texts(viaIndex)).toEqual(["The invoices for ACME were sent on Monday"]);
      // After an embedder switch the index has another name; it is found through memory_settings.
      await setEmbedder(c.db, { kind: "offline", dimension: 128 });
      while ((await reembedStep(c.db, undefined, 100)).state !== "finished");
      const { vectorIndex } = await readSettings(c.db);
      expect(vectorIndex).toBe("memories_embedding_g2_idx");
      await makeOld(vectorIndex);
      await applyMigrations(c.server.dbPath);
      expect(await optionsOf(vectorIndex)).toEqual([...VECTOR_INDEX_OPTIONS]);
      expect(await shadow(vectorIndex)).toBe(CORPUS.length);
      // Nothing to do the next time.
      const before = await c.db.get<{ sql: string }>(sql`select sql from sqlite_master where name = ${vectorIndex}`);
      await applyMigrations(c.server.dbPath);
      expect(await c.db.get<{ sql: string }>(sql`select sql from sqlite_master where name = ${vectorIndex}`)).toEqual(before);
    } finally {
      c.client.close();
      await c.server.dispose();
    }
  }, 120_000);

  it("remember() is what the Mind calls: episodic, its own source, no agent", async () => {
    const ids = await remember(a.db, { kind: "episodic", text: "cycle 1: dispatched 2 tasks, 1 completed", tags: ["cycle"], source: "mind" }, { now: 1_500 });
    expect(ids).toHaveLength(1);
    expect(await getMemory(a.db, ids[0]!, ALL)).toMatchObject({ kind: "episodic", source: "mind", agentId: null, shared: false, createdAt: 1_500, tags: ["cycle"] });
    await forgetMemory(a.db, ids[0]!, ALL);
  });
});

describe("recall", () => {
  it("finds by meaning: a misspelt, differently inflected query reaches the memory through the vector index", async () => {
    const vector = await ask(a.db, { query: "recieved paymnt globex invoices", mode: "vector", k: 1 });
    expect(texts(vector)).toEqual(["Payment received from Globex for the March invoice"]);
    expect(vector.results[0]).toMatchObject({ foundBy: ["vector"], vectorRank: 1, textRank: null, bm25: null });
    expect(vector.results[0]!.score).toBeCloseTo(1 - vector.results[0]!.distance!, 10);
  });

  it("finds by words: a rare token is found by FTS5 bm25", async () => {
    const text = await ask(a.db, { query: "INV-20931", mode: "text", k: 5 });
    expect(texts(text)).toEqual(["Customer asked about the refund policy for order INV-20931"]);
    expect(text.results[0]).toMatchObject({ foundBy: ["text"], textRank: 1, vectorRank: null });
    expect(text.results[0]!.bm25).toBeLessThan(0);
  });

  it("hybrid fuses both lists by reciprocal rank and says which method found each", async () => {
    const r = await ask(a.db, { query: "ACME invoices", k: 3 });
    expect(r.results[0]!.text).toBe("The invoices for ACME were sent on Monday");
    expect(r.results[0]!.foundBy).toEqual(["vector", "text"]);
    expect(r.results[0]!.score).toBeCloseTo(1 / 61 + 1 / 61, 10);
    expect(r.results.map((x) => x.score)).toEqual([...r.results.map((x) => x.score)].sort((x, y) => y - x));
  });

  it("applies filters before k is counted, in every mode", async () => {
    for (const mode of ["vector", "text", "hybrid"]) {
      const r = await ask(a.db, { query: "invoice payment refund order", mode, k: 2, tags: ["support"] });
      expect(texts(r), mode).toEqual(["Customer asked about the refund policy for order INV-20931"]);
      const ops = await ask(a.db, { query: "invoice payment", mode: mode === "text" ? "vector" : mode, k: 2, tags: ["ops"] });
      expect(ops.results.length, mode).toBe(2);
      expect(ops.results.every((x) => x.tags.includes("ops")), mode).toBe(true);
    }
    const kinds = await ask(a.db, { query: "server deploy", k: 10, kind: ["procedural", "episodic"] });
    expect(new Set(kinds.results.map((x) => x.kind))).toEqual(new Set(["procedural", "episodic"]));
    expect(kinds.results.length).toBe(3);
    expect((await ask(a.db, { query: "server", k: 10, since: 1_001 })).results).toEqual([]);
    const both = await ask(a.db, { query: "invoice", k: 10, tags: ["billing", "support"] });
    expect(texts(both)).toEqual(["Customer asked about the refund policy for order INV-20931"]);
  });

  it("text: filtered matches ranked below many unfiltered ones are still found (k counts after filters)", async () => {
    await remember(a.db, Array.from({ length: 60 }, (_, i) => ({ text: `gizmo gizmo gizmo overheated ${i}`, tags: ["loud"] })), { now: 1_100 });
    const quiet = await remember(
      a.db,
      ["a", "b", "c"].map((x) => ({ text: `long and calm report ${x} that mentions the gizmo only once among many other words`, tags: ["quiet"] })),
      { now: 1_100 },
    );
    const r = await ask(a.db, { query: "gizmo", mode: "text", k: 3, tags: ["quiet"] });
    expect(r.results.map((x) => x.id).sort()).toEqual([...quiet].sort());
    const all = await ask(a.db, { query: "gizmo", mode: "text", k: 3 });
    expect(all.results.every((x) => x.tags.includes("loud"))).toBe(true);
    for (const id of quiet) await forgetMemory(a.db, id, ALL);
    for (const row of await a.db.all<{ id: string }>(sql`select id from memories where text like 'gizmo gizmo%'`)) await forgetMemory(a.db, row.id, ALL);
  });

  it("text: a common word's best k are FTS5's bm25 order over every match (ids break ties)", async () => {
    // Many matches of different term counts and lengths, far more than the head FTS5 ranks first.
    const ids = await remember(
      a.db,
      Array.from({ length: 90 }, (_, i) => ({ text: `${"sprocket ".repeat(1 + (i % 4))}note ${i}${" filler".repeat(i % 7)}`, tags: ["sprockets"] })),
      { now: 1_100 },
    );
    const all = await a.db.all<{ id: string }>(sql`select m.id as id from memories_fts f join memories m on m.seq = f.rowid
      where memories_fts match '"sprocket"' order by bm25(memories_fts), m.id`);
    const r = await ask(a.db, { query: "sprocket", mode: "text", k: 25 });
    expect(r.results.map((x) => x.id)).toEqual(all.slice(0, 25).map((x) => x.id));
    expect(r.results.map((x) => x.bm25)).toEqual([...r.results.map((x) => x.bm25!)].sort((x, y) => x - y));
    for (const id of ids) await forgetMemory(a.db, id, ALL);
  });

  it("through the index path too: a narrow filter still yields k results, equal to an exact scan", async () => {
    // exactScanMax 0 forces the vector index (and its over-fetch) even for a handful of rows.
    const viaIndex = await ask(a.db, { query: "budget invoices weather", mode: "vector", k: 3, tags: ["billing"] }, { exactScanMax: 0 });
    const exact = await ask(a.db, { query: "budget invoices weather", mode: "vector", k: 3, tags: ["billing"], exact: true });
    expect(viaIndex.results.length).toBe(3);
    expect(viaIndex.results.map((x) => x.id)).toEqual(exact.results.map((x) => x.id));
  });

  it("keeps agents in their scope: their own memories and shared ones", async () => {
    const [own, other, shared] = await remember(
      a.db,
      [
        { text: "agent alpha private note about zebras", agentId: "alpha" },
        { text: "agent beta private note about zebras", agentId: "beta" },
        { text: "beta shares a note about zebras", agentId: "beta", shared: true },
      ],
      { now: 2_000 },
    );
    const alpha: MemoryScope = { kind: "agent", agentId: "alpha" };
    for (const mode of ["vector", "text", "hybrid"]) {
      const r = await ask(a.db, { query: "zebras", mode, k: 10 }, { scope: alpha });
      const ids = r.results.map((x) => x.id);
      expect(ids, mode).toContain(own);
      expect(ids, mode).toContain(shared);
      expect(ids, mode).not.toContain(other);
    }
    await expect(getMemory(a.db, other!, alpha)).rejects.toMatchObject({ status: 404 });
    await expect(forgetMemory(a.db, shared!, alpha)).rejects.toMatchObject({ status: 403, code: "not_your_memory" });
    expect((await getMemory(a.db, other!, ALL)).agentId).toBe("beta");
  });
});

describe("forgetting", () => {
  it("a deleted memory is gone from the table, FTS5, the tag index and the vector index", async () => {
    const [id] = await remember(a.db, { text: "ephemeral quokka sighting near the office", tags: ["quokka"] }, { now: 3_000 });
    // all(), not get(): drizzle's raw get() throws on an empty result.
    const seqOf = async () => (await a.db.all<{ seq: number }>(sql`select seq from memories where id = ${id}`))[0]?.seq;
    const seq = Number(await seqOf());
    const q = vectorToBlob(embedOffline("ephemeral quokka sighting near the office"));
    const inVector = async () => (await a.db.all<{ id: number }>(sql`select id from vector_top_k('memories_embedding_idx', ${q}, 50)`)).some((r) => Number(r.id) === seq);
    const inFts = async () => (await a.db.all(sql`select rowid from memories_fts where memories_fts match 'quokka'`)).length;
    const inTags = async () => (await a.db.all(sql`select seq from memory_tags where tag = 'quokka'`)).length;
    expect([await inVector(), await inFts(), await inTags()]).toEqual([true, 1, 1]);

    await forgetMemory(a.db, id!, ALL);
    expect(await seqOf()).toBeUndefined();
    expect([await inVector(), await inFts(), await inTags()]).toEqual([false, 0, 0]);
    for (const mode of ["vector", "text", "hybrid"]) {
      expect((await ask(a.db, { query: "quokka sighting", mode, k: 100 })).results.map((x) => x.id), mode).not.toContain(id);
    }
    await expect(getMemory(a.db, id!, ALL)).rejects.toMatchObject({ status: 404, code: "memory_not_found" });
    await expect(forgetMemory(a.db, id!, ALL)).rejects.toMatchObject({ status: 404 });
  });

  it("an expired memory is not recalled, and the next write purges it from every index", async () => {
    const [id] = await remember(a.db, { text: "temporary wombat door code 4711", expiresAt: 10_000 }, { now: 5_000 });
    expect(texts(await ask(a.db, { query: "wombat door code", mode: "text", k: 5 }, { now: 9_999 }))).toEqual(["temporary wombat door code 4711"]);
    expect((await ask(a.db, { query: "wombat door code", k: 5 }, { now: 10_000 })).results.map((x) => x.id)).not.toContain(id);
    await expect(getMemory(a.db, id!, ALL, 10_000)).rejects.toMatchObject({ status: 404 });
    const [other] = await remember(a.db, { text: "unrelated later note" }, { now: 10_001 });
    expect(await a.db.all(sql`select 1 from memories where id = ${id}`)).toEqual([]);
    expect((await a.db.all(sql`select rowid from memories_fts where memories_fts match 'wombat'`)).length).toBe(0);
    await forgetMemory(a.db, other!, ALL);
  });
});

describe("export and import", () => {
  const QUERIES = ["ACME invoices", "recieved paymnt", "server migrations deploy", "refund INV-20931", "zebras", "sunny weather budget"];

  async function exportAll(db: AnyDb) {
    const out: ExportedMemory[] = [];
    let after = 0;
    let header: { embedder: { kind: string; model: string; dimension: number }; count?: number } | undefined;
    for (;;) {
      const page = await exportPage(db, after, 4); // small pages: the cursor is exercised
      header ??= page;
      out.push(...(page.memories as ExportedMemory[]));
      if (page.next === null) break;
      after = page.next;
    }
    return { embedder: header!.embedder, count: header!.count, memories: out };
  }

  it("into a fresh database gives identical recall results, with vectors carried bit for bit", async () => {
    const dump = await exportAll(a.db);
    expect(dump.memories.length).toBe(dump.count);
    expect(dump.memories.every((m) => m.embedding?.length === 256)).toBe(true);
    for (let i = 0; i < dump.memories.length; i += 3) {
      const r = await importMemories(b.db, { embedder: dump.embedder, memories: dump.memories.slice(i, i + 3) });
      expect(r.skipped).toBe(0);
    }
    const vectors = async (db: AnyDb) => (await db.all<{ id: string; v: string }>(sql`select id, hex(embedding) as v from memories order by id`)).map((r) => `${r.id}:${r.v}`);
    expect(await vectors(b.db)).toEqual(await vectors(a.db));
    for (const query of QUERIES) {
      for (const mode of ["vector", "text", "hybrid"]) {
        for (const scope of [ALL, { kind: "agent", agentId: "alpha" } as const]) {
          const [ra, rb] = await Promise.all([ask(a.db, { query, mode, k: 5 }, { scope }), ask(b.db, { query, mode, k: 5 }, { scope })]);
          expect(rb, `${mode} ${query}`).toEqual(ra);
        }
      }
    }
  });

  it("importing again skips what is there; vectors from another embedder are refused (409)", async () => {
    const dump = await exportAll(a.db);
    expect(await importMemories(b.db, { embedder: dump.embedder, memories: dump.memories.slice(0, 5) })).toEqual({ imported: 0, skipped: 5 });
    await expect(importMemories(b.db, { embedder: { ...dump.embedder, model: "other-model" }, memories: dump.memories.slice(0, 1) })).rejects.toMatchObject({
      status: 409,
      code: "embedder_mismatch",
    });
    const bad = { ...dump.memories[0]!, id: "mem_wrongdimension0", embedding: [1, 2, 3] };
    await expect(importMemories(b.db, { embedder: dump.embedder, memories: [bad] })).rejects.toMatchObject({ status: 422, code: "wrong_dimension" });
  });
});

describe("switching embedders (reembed)", () => {
  it("is a resumable job: progress is kept in the database, writes in between are taken along", async () => {
    const before = await readSettings(b.db);
    expect(before.embedder).toEqual({ kind: "offline", model: "hash-ngram-v1", dimension: 256 });
    expect((await setEmbedder(b.db, { kind: "offline", dimension: 64 })).reembedNeeded).toBe(true);
    const total = (await reembedProgress(b.db)).total;

    let p = await reembedStep(b.db, undefined, 3);
    expect(p).toMatchObject({ state: "running", done: 3, total });
    // Recall still works on the old vectors mid-way, and a write in between lands in both.
    expect((await ask(b.db, { query: "ACME invoices", mode: "vector", k: 1 })).embedder.dimension).toBe(256);
    const [late] = await remember(b.db, { text: "a late note about ACME invoices written mid-reembed" });
    // "Stopping" here and starting over: setting the same pending embedder keeps the progress.
    await setEmbedder(b.db, { kind: "offline", dimension: 64 });
    p = await reembedStep(b.db, undefined, 3);
    expect(p.done).toBe(6);
    const seen: number[] = [];
    while (p.state === "running") {
      p = await reembedStep(b.db, undefined, 3);
      seen.push(p.done);
    }
    expect(p).toMatchObject({ state: "finished", done: total + 1, total: total + 1, pending: null });
    expect(seen.every((d, i) => i === 0 || d >= seen[i - 1]!)).toBe(true);

    const status = await memoryStatus(b.db);
    expect(status).toMatchObject({ embedder: { dimension: 64 }, pending: null, generation: 2, reembed: null });
    const r = await ask(b.db, { query: "late note ACME invoices mid-reembed", mode: "vector", k: 1 });
    expect(r.embedder.dimension).toBe(64);
    expect(r.results[0]!.id).toBe(late);
    await expect(remember(b.db, { text: "old vector", embedding: Array.from(embedOffline("old vector", 256)) })).rejects.toMatchObject({ code: "wrong_dimension" });
  });

  it("a vector made before the switch is never written after it (the generation guard)", async () => {
    const s = await readSettings(b.db);
    const stale = insertMemorySql(
      { id: "mem_stalevector0000", agentId: null, shared: false, kind: "semantic", text: "stale", tags: [], source: "test", createdAt: 1, expiresAt: null },
      embedOffline("stale", s.embedder.dimension),
      s.generation - 1,
    );
    expect((await b.db.run(stale)).rowsAffected).toBe(0);
  });

  it("changing the target mid-way drops the half-built index; switching back needs no reembed", async () => {
    await setEmbedder(b.db, { kind: "offline", dimension: 32 });
    await reembedStep(b.db, undefined, 2);
    expect((await b.db.all(sql`select name from sqlite_master where name = 'memories_embedding_g3_idx'`)).length).toBe(1);
    const back = await setEmbedder(b.db, { kind: "offline", dimension: 64 });
    expect(back).toMatchObject({ reembedNeeded: false, pending: null });
    expect((await b.db.all(sql`select name from sqlite_master where name = 'memories_embedding_g3_idx'`)).length).toBe(0);
    expect((await b.db.all(sql`select name from pragma_table_info('memories') where name = 'embedding_next'`)).length).toBe(0);
    expect((await reembedStep(b.db, undefined)).state).toBe("idle");
  });
});
