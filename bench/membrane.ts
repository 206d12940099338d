// The membrane's cost and its revocation window, on a real `seed up`. Prints one JSON object.
// 1. The same readiness work with and without the membrane, 16 concurrent clients, same run:
//    GET /readyz (public) vs GET /v1/status with a helper key (key check in libSQL + an audit
//    row committed before the response) and with the owner's key (key check only).
// 2. Revocation window: 16 clients hammer a helper route; the owner revokes the key; every request
//    sent after the revoke call returned is counted, and how many of them were accepted (target 0).
// Run: `scripts/seed bench membrane` (or `node bench/membrane.ts` with Node 22).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, tempDir } from "../test/support/seed-home.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CONCURRENCY = 16;
const PHASE_MS = Number(process.env.PHASE_MS ?? 4000);
const ROUNDS = 2; // A, B, C alternated this many times so drift on a shared machine hits all alike

const dir = tempDir("seed bench membrane ");
const home = path.join(dir, "home");
const port = await freePort();
const base = `http://127.0.0.1:${port}`;

async function up(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "scripts/cli/main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(await freePort()) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      if (/is up at/.test(out)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`seed up exited (${code}):\n${out}`)));
  });
  return child;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const round = (n: number) => Math.round(n * 1000) / 1000;

async function hit(pathname: string, key?: string): Promise<number> {
  const res = await fetch(`${base}${pathname}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  await res.arrayBuffer();
  return res.status;
}

async function load(pathname: string, key: string | undefined, ms: number, latencies: number[]): Promise<number> {
  const deadline = performance.now() + ms;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const status = await hit(pathname, key);
        latencies.push(performance.now() - t0);
        if (status !== 200) errors++;
      }
    }),
  );
  return errors;
}

function summary(route: string, latencies: number[], errors: number, ms: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { route, requests: sorted.length, non200: errors, perSecond: Math.round(sorted.length / (ms / 1000)), p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

const child = await up();
try {
  const rootKey = readFileSync(path.join(home, "keys", "root.key"), "utf8").trim();
  const grant = async (name: string) => {
    const res = await fetch(`${base}/v1/owner/membrane`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rootKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name, scopes: ["status:read"] }),
    });
    return (await res.json()) as { id: string; token: string };
  };
  const helper = await grant("bench helper");

  // Warm-up: the bundle, the isolate, the audit ledger's writer, the connections.
  const warm: number[] = [];
  for (const [p, k] of [["/readyz", undefined], ["/v1/status", helper.token], ["/v1/status", rootKey]] as const) await load(p, k, 500, warm);

  const phases = { noAuth: [] as number[], helper: [] as number[], owner: [] as number[] };
  const errors = { noAuth: 0, helper: 0, owner: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    errors.noAuth += await load("/readyz", undefined, PHASE_MS, phases.noAuth);
    errors.helper += await load("/v1/status", helper.token, PHASE_MS, phases.helper);
    errors.owner += await load("/v1/status", rootKey, PHASE_MS, phases.owner);
  }
  const ms = PHASE_MS * ROUNDS;
  const noAuth = summary("GET /readyz (no auth)", phases.noAuth, errors.noAuth, ms);
  const withHelper = summary("GET /v1/status (helper key: key check + audit row)", phases.helper, errors.helper, ms);
  const withOwner = summary("GET /v1/status (owner key: key check, no audit row)", phases.owner, errors.owner, ms);

  // Revocation window.
  const victim = await grant("bench revoked");
  let revokeReturned = false;
  let stop = false;
  let sentAfter = 0;
  let acceptedAfter = 0;
  let acceptedBefore = 0;
  const statusesAfter: Record<string, number> = {};
  let started!: () => void;
  const inUse = new Promise<void>((r) => (started = r));
  const clients = Array.from({ length: CONCURRENCY }, async () => {
    while (!stop) {
      const after = revokeReturned;
      const status = await hit("/v1/status", victim.token);
      if (after) {
        sentAfter++;
        statusesAfter[status] = (statusesAfter[status] ?? 0) + 1;
        if (status >= 200 && status < 300) acceptedAfter++;
        if (sentAfter >= 2000) stop = true;
      } else if (status === 200 && ++acceptedBefore >= 500) started();
    }
  });
  await inUse;
  const t0 = performance.now();
  const del = await fetch(`${base}/v1/owner/membrane/${victim.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${rootKey}` } });
  const revokeMs = performance.now() - t0;
  revokeReturned = true;
  await Promise.all(clients);

  console.log(
    JSON.stringify(
      {
        bench: "membrane",
        machine: { cpus: os.cpus().length, note: "load generator, libSQL server and workerd share these cores (and other developers' work)" },
        concurrency: CONCURRENCY,
        phaseMs: PHASE_MS,
        rounds: ROUNDS,
        noAuth,
        helper: withHelper,
        owner: withOwner,
        ratio: {
          helperVsNoAuthP50: round(withHelper.p50Ms / noAuth.p50Ms),
          helperVsNoAuthP99: round(withHelper.p99Ms / noAuth.p99Ms),
          ownerVsNoAuthP50: round(withOwner.p50Ms / noAuth.p50Ms),
          targetP50: 1.5,
        },
        revocation: {
          revokeStatus: del.status,
          revokeCallMs: round(revokeMs),
          acceptedBeforeRevoke: acceptedBefore,
          requestsSentAfterRevokeReturned: sentAfter,
          acceptedAfterRevokeReturned: acceptedAfter,
          statusesAfter,
          target: 0,
        },
      },
      null,
      2,
    ),
  );
} finally {
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
  rmSync(dir, { recursive: true, force: true });
}
