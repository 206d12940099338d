// Console benchmark: `scripts/seed bench console` prints one JSON object (progress on stderr).
// A real `seed up` in a temp SEED_HOME whose path has a space; the ledger grown to TASKS tasks
// through POST /v1/owner/mind/import (the fastest path in: 10,000-task batches into the Mind's
// SQLite); then, with the seed stopped, memory grown to MEMORIES memories straight into its libSQL
// file through importMemories — the code POST /v1/memory/import runs, vectors from the seed's
// offline embedder computed here and kept — MEMORY_BATCH a transaction, without the HTTP and the
// libSQL server's 10-s request budget in the way; then the seed is started again on the same home
// and recall's answer checked to hold the loaded memories. Then, signed in as the owner like a browser, each console page is fetched ROUNDS times one after another; beside each,
// in the same run, the JSON route the page is made from (its anchor) and GET /healthz (the floor).
// The page's own cost is its p50 minus its anchor's. Sizes: every page as served here plus the
// stylesheet, script and icon — the whole console a browser downloads.
// Environment: TASKS (default 100000), MEMORIES (default 100000), ROUNDS (default 30), MEMORY_BATCH (default 1000).
import path from "node:path";
import { importMemories } from "../lib/memory/memory-transfer.ts";
import type { AnyDb } from "../lib/memory/memory-types.ts";
import { embedOffline, OFFLINE_DEFAULT_DIMENSION, OFFLINE_MODEL } from "../lib/memory/offline-embedder.ts";
import { withFileDb } from "../scripts/cli/migrate.ts";
import { startSeed, type SeedProcess } from "../test/support/seed-process.ts";

const SPACE = { kind: "offline", model: OFFLINE_MODEL, dimension: OFFLINE_DEFAULT_DIMENSION };

const TASKS = Number(process.env.TASKS ?? 100_000);
const MEMORIES = Number(process.env.MEMORIES ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const TASK_BATCH = 10_000;
const MEMORY_BATCH = Number(process.env.MEMORY_BATCH ?? 1000);
const TARGET_P50_MS = 50;
const TARGET_TOTAL_BYTES = 200 * 1024;

let seed: SeedProcess;
const log = (s: string) => process.stderr.write(`${s}\n`);
const now = () => performance.now();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${seed.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${seed.rootKey()}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function tasks(from: number, count: number, t0: number): object[] {
  const out: object[] = [];
  for (let j = from; j < from + count; j++) {
    const createdAt = t0 - 86_400_000 - j * 30_000;
    const open = j < 100;
    out.push({ id: `c${j}`, title: `console task ${j}`, capability: `cap-${j % 50}`, source: `src-${j % 20}`, createdAt, ...(open ? { state: "open" } : { state: j % 40 === 0 ? "failed" : "done", assignee: `agent-${j % 100}`, finishedAt: createdAt + 20_000 }) });
  }
  return out;
}

const WORDS = ["invoice", "payroll", "heron", "backup", "shipment", "refund", "ledger", "customer", "forecast", "audit", "supplier", "warehouse", "contract", "renewal", "outage", "latency"];
function memories(from: number, count: number, t0: number) {
  const out = [];
  for (let j = from; j < from + count; j++) {
    const w = (k: number) => WORDS[(j * 7 + k * 13) % WORDS.length]!;
    const text = `note ${j}: the ${w(1)} for ${w(2)} moved after the ${w(3)} review (${j % 97})`;
    out.push({ id: `cm-${j}`, agentId: null, shared: false, text, tags: [w(4)], kind: "semantic" as const, source: "bench", createdAt: t0 - j * 60_000, expiresAt: null, embedding: Array.from(embedOffline(text)) });
  }
  return out;
}

async function load(): Promise<{ tasksPerSec: number; memoriesPerSec: number }> {
  const t0 = Date.now();
  let t = now();
  for (let at = 0; at < TASKS; at += TASK_BATCH) {
    await api("POST", "/v1/owner/mind/import", { tasks: tasks(at, Math.min(TASK_BATCH, TASKS - at), t0), importId: "console-bench", final: at + TASK_BATCH >= TASKS });
    log(`tasks: ${Math.min(at + TASK_BATCH, TASKS)}/${TASKS}`);
  }
  const tasksPerSec = Math.round(TASKS / ((now() - t) / 1000));
  await seed.stop();
  t = now();
  let imported = 0;
  await withFileDb(path.join(seed.home, "db", "seed.db"), async (db) => {
    for (let at = 0; at < MEMORIES; at += MEMORY_BATCH) {
      const r = await importMemories(db as unknown as AnyDb, { embedder: SPACE, memories: memories(at, Math.min(MEMORY_BATCH, MEMORIES - at), t0) }, { now: t0 });
      imported += r.imported;
      if ((at / MEMORY_BATCH) % 10 === 0) log(`memories: ${at + MEMORY_BATCH}/${MEMORIES} (${Math.round((at + MEMORY_BATCH) / ((now() - t) / 1000))}/s)`);
    }
  });
  const memoriesPerSec = Math.round(MEMORIES / ((now() - t) / 1000));
  seed = await startSeed({ home: seed.home });
  const status = await api<{ memories: number }>("GET", "/v1/memory/status");
  // The mind's own episodic memories (one per cycle) come on top.
  if (imported !== MEMORIES || status.memories < MEMORIES) throw new Error(`memories: ${imported} imported, the seed counts ${status.memories}, wanted ${MEMORIES}`);
  return { tasksPerSec, memoriesPerSec };
}

/** Signs in through the form, as a browser does; answers the Cookie header of the session. */
async function signIn(): Promise<string> {
  const form = await fetch(`${seed.url}/console/sign-in`);
  const pre = /name="pre" value="([a-f0-9]+)"/.exec(await form.text())![1]!;
  const preCookie = form.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
  const res = await fetch(`${seed.url}/console/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: seed.url, Cookie: preCookie },
    body: new URLSearchParams({ pre, key: seed.rootKey() }),
  });
  if (res.status !== 303) throw new Error(`sign-in: ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
}

type Timed = { p50: number; p95: number; bytes: number };

async function timed(path: string, init: RequestInit): Promise<Timed> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS + 3; i++) {
    const t = now();
    const res = await fetch(`${seed.url}${path}`, init);
    const body = await res.arrayBuffer();
    const took = now() - t;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    bytes = body.byteLength;
    if (i >= 3) ms.push(took); // three warm-up requests
  }
  return { p50: pct(ms, 50), p95: pct(ms, 95), bytes };
}

async function main() {
  seed = await startSeed();
  try {
    const loaded = await load();
    const cookie = await signIn();
    const taskId = (await api<{ tasks: { id: string }[] }>("GET", "/v1/work?limit=1")).tasks[0]!.id;
    const page = { headers: { Cookie: cookie } };
    const bearer = { headers: { Authorization: `Bearer ${seed.rootKey()}` } };
    const recall = { method: "POST", headers: { Authorization: `Bearer ${seed.rootKey()}`, "Content-Type": "application/json" }, body: JSON.stringify({ query: "heron invoice", k: 20 }) };
    // Each page beside the JSON route it is made from (the biggest one when it makes several).
    const pages: [string, string, RequestInit][] = [
      ["/console/pulse", "/v1/mind/coherence", bearer],
      ["/console/work", "/v1/work?limit=100", bearer],
      ["/console/work?state=open&capability=cap-7", "/v1/work?limit=100&state=open&capability=cap-7", bearer],
      [`/console/work/${taskId}`, `/v1/work/${taskId}`, bearer],
      ["/console/agents", "/v1/owner/agents", bearer],
      ["/console/bus", "/v1/bus/subscriptions", bearer],
      ["/console/memory?q=heron+invoice", "/v1/memory/recall", recall],
      ["/console/membrane", "/v1/owner/membrane?state=all", bearer],
      ["/console/audit", "/v1/audit?limit=50", bearer],
      ["/console/sovereignty", "/v1/identity", bearer],
    ];
    const floor = await timed("/healthz", {});
    const results: Record<string, { page: Timed; anchor: { route: string } & Timed; overheadP50: number }> = {};
    for (const [p, anchor, init] of pages) {
      log(`page ${p}`);
      const pt = await timed(p, page);
      const at = await timed(anchor, init);
      results[p] = { page: pt, anchor: { route: anchor, ...at }, overheadP50: Math.round((pt.p50 - at.p50) * 100) / 100 };
    }
    const assets: Record<string, number> = {};
    for (const a of ["/console/assets/app.css", "/console/assets/app.js", "/console/assets/icon.svg"]) assets[a] = (await timed(a, {})).bytes;
    const signInBytes = (await timed("/console/sign-in", {})).bytes;
    const pageBytes = Object.values(results).reduce((s, r) => s + r.page.bytes, 0) + signInBytes;
    const assetBytes = Object.values(assets).reduce((s, b) => s + b, 0);
    const worstP50 = Math.max(...Object.values(results).map((r) => r.page.p50));
    console.log(
      JSON.stringify(
        {
          bench: "console",
          data: { tasks: TASKS, memories: MEMORIES, loadedBy: `POST /v1/owner/mind/import (10,000 a batch); importMemories (POST /v1/memory/import's code) on the stopped seed's libSQL file, ${MEMORY_BATCH} a transaction, vectors from the offline embedder`, ...loaded },
          rounds: ROUNDS,
          floor: { route: "/healthz", ...floor },
          pages: results,
          worstPageP50Ms: worstP50,
          targetP50Ms: TARGET_P50_MS,
          p50Met: worstP50 <= TARGET_P50_MS,
          size: { pagesBytes: pageBytes, assets, assetsBytes: assetBytes, totalBytes: pageBytes + assetBytes, targetBytes: TARGET_TOTAL_BYTES, met: pageBytes + assetBytes <= TARGET_TOTAL_BYTES },
          note: "round trips on loopback from the same 2-core machine; a page's server-side cost is its p50 minus the floor; overheadP50 is the page minus the JSON route it renders",
        },
        null,
        2,
      ),
    );
  } finally {
    await seed.stop();
  }
}

await main();
