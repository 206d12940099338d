// `seed memory` end to end: two real seeds (`seed up`: libSQL server + workerd) in temp folders
// whose paths have spaces. Export from one, import into the other: identical recall. Then switch
// the first seed to an OpenAI-compatible embedder (a real HTTP server on loopback, reached only
// through the EMBEDDINGS service binding) with a reembed that is stopped half-way and resumed.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../support/cli.ts";
import { startEmbeddingsServer, type EmbeddingsServer } from "../support/embeddings-server.ts";
import { freePort, tempDir } from "../support/seed-home.ts";

type Seed = { home: string; url: string; child: ChildProcess; key: string };

const dir = tempDir("seed memory ");
const EMBED_TOKEN = "sys-embed-token-0123456789";
let embeddings: EmbeddingsServer;
let a: Seed;
let b: Seed;

async function up(home: string): Promise<Seed> {
  const port = await freePort();
  const dbPort = await freePort();
  const child = spawn(process.execPath, [...process.execArgv, path.join(REPO, "scripts/cli/main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(dbPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/is up at http/.test(out)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`seed up exited (${code}):\n${out}`)));
  });
  return { home, url: `http://127.0.0.1:${port}`, child, key: readFileSync(path.join(home, "keys", "root.key"), "utf8").trim() };
}

async function stop(s: Seed | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  const gone = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await gone;
}

async function http<T>(s: Seed, method: string, p: string, body?: unknown, key = s.key): Promise<T> {
  const res = await fetch(`${s.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

// Asynchronous on purpose: the embeddings server lives in this process, so a blocking spawnSync
// would leave the seed's requests to it unanswered.
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...process.execArgv, path.join(REPO, "scripts/cli/main.ts"), ...args], {
    env: { ...process.env, SEED_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout, stderr })));
}

const cli = (s: Seed | { home: string }, ...args: string[]) => runCli([...args, "--home", s.home]);

type Recall = { results: { id: string; text: string; score: number; foundBy: string[] }[]; embedder: { kind: string; dimension: number } };
const QUERIES = ["invoices for ACME", "deploy failed", "refund INV-20931", "zebra sightings", "budget meeting thursday"];

beforeAll(async () => {
  embeddings = await startEmbeddingsServer({ token: EMBED_TOKEN, model: "sys-embed", dimension: 48 });
  const homeA = path.join(dir, "seed a");
  expect((await cli({ home: homeA }, "init")).status).toBe(0);
  expect((await cli({ home: homeA }, "services", "set", "EMBEDDINGS", "--url", `http://${embeddings.host}`)).status).toBe(0);
  const cred = await runCli(["credentials", "set", "sysemb", "--host", embeddings.host, "--from-env", "EMB_TOKEN", "--home", homeA], { EMB_TOKEN: EMBED_TOKEN });
  expect(cred.status, cred.stderr).toBe(0);
  [a, b] = await Promise.all([up(homeA), up(path.join(dir, "seed b"))]);

  const agent = await http<{ id: string; token: string }>(a, "POST", "/v1/owner/agents", { name: "scribe" });
  const texts = [
    "The invoices for ACME were sent on Monday",
    "Deploy of the payments service failed with error 502",
    "Customer asked about the refund policy for order INV-20931",
    "Budget meeting moved to Thursday afternoon",
    "Three zebra sightings reported near the north gate",
  ];
  await http(a, "POST", "/v1/memory", { memories: texts.flatMap((t, i) => [{ text: t, tags: [`topic-${i}`] }, { text: `${t} (follow-up ${i})`, shared: i % 2 === 0 }]) }, agent.token);
  await http(a, "POST", "/v1/memory", { memories: Array.from({ length: 20 }, (_, i) => ({ text: `routine log line ${i} about invoices, deploys and budgets`, kind: "episodic" })) });
}, 240_000);

afterAll(async () => {
  await Promise.all([stop(a), stop(b)]);
  await embeddings?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("seed memory export | import", () => {
  const file = path.join(dir, "memories export.jsonl");

  it("exports every memory with its vector as JSONL (0600)", async () => {
    const r = await cli(a, "memory", "export", "--out", file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("exported 30 memories");
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ format: "seed-memory", version: 1, embedder: { kind: "offline", dimension: 256 }, count: 30 });
    expect(lines).toHaveLength(31);
    expect((lines[1]!.embedding as number[]).length).toBe(256);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await cli(a, "memory", "export", "--out", file)).status).toBe(1); // never overwrites
  });

  it("into a fresh seed gives identical recall results; a second import skips everything", async () => {
    const r = await cli(b, "memory", "import", file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("imported 30, skipped 0");
    for (const query of QUERIES) {
      for (const mode of ["vector", "text", "hybrid"]) {
        const body = { query, mode, k: 8 };
        const [ra, rb] = await Promise.all([http<Recall>(a, "POST", "/v1/memory/recall", body), http<Recall>(b, "POST", "/v1/memory/recall", body)]);
        expect(ra.results.length, `${mode} ${query}`).toBeGreaterThan(0);
        expect(rb, `${mode} ${query}`).toEqual(ra);
      }
    }
    const again = await cli(b, "memory", "import", file, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, skipped: 30 });
  });
});

describe("seed memory embedder set + reembed", () => {
  it("switches to the OpenAI-compatible endpoint with a reembed that resumes after a stop", async () => {
    const set = await cli(a, "memory", "embedder", "set", "openai", "--model", "sys-embed", "--dimension", "48", "--credential", "sysemb");
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toContain("is pending");

    const part = await cli(a, "memory", "reembed", "--batch", "7", "--max-batches", "2");
    expect(part.status, part.stderr).toBe(0);
    expect(part.stdout).toMatch(/reembed 7\/30 \(23\.3%\)/);
    expect(part.stdout).toMatch(/reembed 14\/30/);
    expect(part.stdout).toContain("stopped after 2 step(s) at 14/30");
    const mid = JSON.parse((await cli(a, "memory", "status", "--json")).stdout) as { embedder: { kind: string }; pending: { kind: string }; reembed: { done: number } };
    expect(mid).toMatchObject({ embedder: { kind: "offline" }, pending: { kind: "openai" }, reembed: { done: 14 } });
    // Recall still answers from the old vectors meanwhile.
    expect((await http<Recall>(a, "POST", "/v1/memory/recall", { query: "deploy failed", k: 3 })).embedder.dimension).toBe(256);

    const rest = await cli(a, "memory", "reembed", "--batch", "7");
    expect(rest.status, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/reembed 21\/30/);
    expect(rest.stdout).toMatch(/done in .*: 30 memories now use openai sys-embed \(48 dimensions, credential sysemb\)/);

    const r = await http<Recall>(a, "POST", "/v1/memory/recall", { query: "zebra sightings north gate", mode: "vector", k: 1 });
    expect(r.embedder).toMatchObject({ kind: "openai", dimension: 48 });
    expect(r.results[0]!.text).toContain("zebra sightings");
    const [id] = (await http<{ ids: string[] }>(a, "POST", "/v1/memory", { text: "written after the switch about kilns" })).ids;
    expect((await http<Recall>(a, "POST", "/v1/memory/recall", { query: "kilns", mode: "vector", k: 1 })).results[0]!.id).toBe(id);

    const stats = (await (await fetch(`http://${embeddings.host}/stats`)).json()) as { requests: number; unauthorized: number; hosts: string[] };
    expect(stats.requests).toBeGreaterThanOrEqual(5);
    expect(stats.unauthorized).toBe(0);
    expect(new Set(stats.hosts)).toEqual(new Set([embeddings.host]));
    expect((await cli(a, "memory", "reembed")).stdout).toContain("nothing to re-embed");
  });

  it("an import of another embedder's vectors is refused, and works with --reembed", async () => {
    const file = path.join(dir, "memories export.jsonl");
    const refused = await cli(a, "memory", "import", file);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("embedder_mismatch");
    const b2 = await cli(b, "memory", "export", "--out", path.join(dir, "from b.jsonl"));
    expect(b2.status, b2.stderr).toBe(0);
    const ok = await cli(a, "memory", "import", path.join(dir, "from b.jsonl"), "--reembed", "--json");
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ imported: 0, skipped: 30 }); // same ids: already there
  });
});
