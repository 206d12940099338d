// The membrane's cost and its revocation window, on a real `seed up`. Prints one JSON object.
// 1. The membrane's cost on the same cheap route, 16 concurrent clients, same run: GET /healthz
//    without a key vs with a helper key (the helper audit checks the key in libSQL and commits an
//    audit row before the response) — issue 9's target: p50 ratio ≤ 1.5 and ≤ 2 ms added at p50.
//    Beside it, as before: GET /readyz (public) vs GET /v1/status with a helper key and with the
//    owner's key (key check only).
// 2. Revocation window: 16 clients hammer a helper route; the owner revokes the key; every request
//    sent after the revoke call returned is counted, and how many of them were accepted (target 0).
//    The same over WebSockets: 4 sockets of a helper key keep publishing frames; after the revoke
//    returned, how many frames were still answered `published` (target 0).
// 3. Bodies: 4 parallel chunked uploads (no Content-Length) of 256 MB each to /v1/hooks/anything
//    without a key; workerd's RSS (VmHWM/VmRSS from /proc) before and its peak while they run
//    (issue 9 item 3: every body is counted as it streams; target: growth < 64 MB).
// Each phase also reports the CPU each request cost workerd, the libSQL server and the load
// generator (from /proc): steadier than latency when other work shares the machine.
// PROFILE=DIR writes a CPU profile of the seed's workerd (V8 inspector) over the first helper-key
// /healthz phase and prints its top entries.
// Run: `scripts/seed bench membrane` (or `node bench/membrane.ts` with Node 22).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { usageOf } from "../test/support/proc-usage.ts";
import { WorkerdProfiler } from "./support/workerd-profile.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CONCURRENCY = 16;
const PHASE_MS = Number(process.env.PHASE_MS ?? 4000);
const ROUNDS = 2; // A, B, C alternated this many times so drift on a shared machine hits all alike
const PROFILE = process.env.PROFILE;

const dir = tempDir("seed bench membrane ");
const home = path.join(dir, "home");
const port = await freePort();
const inspector = PROFILE ? `127.0.0.1:${await freePort()}` : undefined;
const base = `http://127.0.0.1:${port}`;

async function up(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "scripts/cli/main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(await freePort()), ...(inspector ? { SEED_WORKERD_INSPECTOR: inspector } : {}) },
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

/** 4 sockets of `key` publish frame after frame until closed; counts frames sent after `revoke()` returned that were still published. */
async function socketRevocation(key: string, revoke: () => Promise<void>) {
  let revoked = false;
  let sentAfter = 0;
  let publishedAfter = 0;
  let publishedBefore = 0;
  const closes: Promise<void>[] = [];
  let ready!: () => void;
  const warm = new Promise<void>((r) => (ready = r));
  for (let i = 0; i < 4; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/bus/connect`, ["seed.bus.v1", `seed.key.${key}`]);
    const refsAfter = new Set<string>();
    let n = 0;
    const send = () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const ref = `${i}-${n++}`;
      if (revoked) {
        refsAfter.add(ref);
        sentAfter++;
      }
      ws.send(JSON.stringify({ type: "publish", ref, topic: "bench.revoke", messages: [{ body: n }] }));
    };
    ws.onopen = send;
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as { type: string; ref?: string };
      if (frame.type === "published") {
        if (frame.ref && refsAfter.has(frame.ref)) publishedAfter++;
        else if (++publishedBefore >= 200) ready();
      }
      if (frame.type === "published" || frame.type === "error") send();
    };
    closes.push(new Promise<void>((r) => (ws.onclose = () => r())));
  }
  const warmed = await Promise.race([warm.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
  if (!warmed) return { error: `the sockets published only ${publishedBefore} frames in 20 s; not measured` };
  await revoke();
  revoked = true;
  // Each open socket sends on its next answer; a socket the revoke closed sends nothing more.
  const settled = await Promise.race([Promise.all(closes).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
  return { socketsAllClosed: settled, framesPublishedBeforeRevoke: publishedBefore, framesSentAfterRevokeReturned: sentAfter, framesPublishedAfterRevokeReturned: publishedAfter, target: 0 };
}

/** The process id of this seed's workerd (or libSQL server): the one whose command line names its home. */
function seedPid(program: "workerd" | "db-server"): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(program) && cmd.includes(home)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

async function uploadFlood() {
  const pid = seedPid("workerd");
  if (pid === null) return { error: "workerd's process not found; not measured" };
  const before = rssMb(pid);
  let peak = before;
  const poll = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  const SIZE = 256 * 1024 * 1024;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: 4 }, async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (sent >= SIZE) return ctl.close();
          sent += chunk.byteLength;
          ctl.enqueue(chunk);
        },
      });
      try {
        const res = await fetch(`${base}/v1/hooks/anything`, { method: "POST", body, duplex: "half", headers: { "Content-Type": "application/json" } } as RequestInit);
        await res.arrayBuffer();
        return { status: res.status, mbSent: Math.round(sent / 1024 / 1024) };
      } catch (err) {
        return { status: `connection closed (${(err as Error).name})`, mbSent: Math.round(sent / 1024 / 1024) };
      }
    }),
  );
  clearInterval(poll);
  peak = Math.max(peak, rssMb(pid));
  return { uploads: outcomes, seconds: round((performance.now() - t0) / 1000), workerdRssBeforeMb: round(before), workerdRssPeakMb: round(peak), growthMb: round(peak - before), targetGrowthMb: 64 };
}

async function hit(pathname: string, key?: string): Promise<number> {
  const res = await fetch(`${base}${pathname}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  await res.arrayBuffer();
  return res.status;
}

/** CPU milliseconds a phase cost each process (user + system, all threads), summed over its rounds. */
type Cpu = { workerd: number; libsql: number; client: number };
const TICK_MS = 10; // USER_HZ = 100 on Linux
const pids = { workerd: 0, libsql: 0 };
const ticks = (pid: number) => (pid ? usageOf(pid).ticks : 0);

async function load(pathname: string, key: string | undefined, ms: number, latencies: number[], cpu?: Cpu): Promise<number> {
  const before = { workerd: ticks(pids.workerd), libsql: ticks(pids.libsql), client: process.cpuUsage() };
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
  if (cpu) {
    cpu.workerd += (ticks(pids.workerd) - before.workerd) * TICK_MS;
    cpu.libsql += (ticks(pids.libsql) - before.libsql) * TICK_MS;
    const used = process.cpuUsage(before.client);
    cpu.client += (used.user + used.system) / 1000;
  }
  return errors;
}

function summary(route: string, latencies: number[], errors: number, ms: number, cpu: Cpu) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const perRequest = (cpuMs: number) => round(cpuMs / Math.max(1, sorted.length));
  return {
    route,
    requests: sorted.length,
    non200: errors,
    perSecond: Math.round(sorted.length / (ms / 1000)),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    // What each request cost in CPU, per process: steadier than latency on a shared machine.
    cpuMsPerRequest: { workerd: perRequest(cpu.workerd), libsql: perRequest(cpu.libsql), loadGenerator: perRequest(cpu.client) },
  };
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
  const grantScopes = async (name: string, scopes: string[]) => {
    const res = await fetch(`${base}/v1/owner/membrane`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rootKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name, scopes }),
    });
    return (await res.json()) as { id: string; token: string };
  };

  // Warm-up: the bundle, the isolate, the audit ledger's writer, the connections.
  const warm: number[] = [];
  for (const [p, k] of [["/healthz", undefined], ["/healthz", helper.token], ["/readyz", undefined], ["/v1/status", helper.token], ["/v1/status", rootKey]] as const) await load(p, k, 500, warm);

  const phases = { bare: [] as number[], bareHelper: [] as number[], noAuth: [] as number[], helper: [] as number[], owner: [] as number[] };
  const errors = { bare: 0, bareHelper: 0, noAuth: 0, helper: 0, owner: 0 };
  const zero = (): Cpu => ({ workerd: 0, libsql: 0, client: 0 });
  const cpu = { bare: zero(), bareHelper: zero(), noAuth: zero(), helper: zero(), owner: zero() };
  pids.workerd = seedPid("workerd") ?? 0;
  pids.libsql = seedPid("db-server") ?? 0;
  let profile: string[] | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    errors.bare += await load("/healthz", undefined, PHASE_MS, phases.bare, cpu.bare);
    // Attached only while profiling: an attached DevTools client receives every workerd console.log.
    const profiler = inspector && r === 0 ? await WorkerdProfiler.attach(inspector) : undefined;
    await profiler?.start();
    errors.bareHelper += await load("/healthz", helper.token, PHASE_MS, phases.bareHelper, cpu.bareHelper);
    if (profiler) {
      mkdirSync(PROFILE!, { recursive: true });
      profile = (await profiler.stop(path.join(PROFILE!, "workerd-membrane.cpuprofile"), 25)).map((e) => `${e.selfPercent}% ${e.frame}`);
      profiler.close();
    }
    errors.noAuth += await load("/readyz", undefined, PHASE_MS, phases.noAuth, cpu.noAuth);
    errors.helper += await load("/v1/status", helper.token, PHASE_MS, phases.helper, cpu.helper);
    errors.owner += await load("/v1/status", rootKey, PHASE_MS, phases.owner, cpu.owner);
  }
  const ms = PHASE_MS * ROUNDS;
  const bare = summary("GET /healthz (no key)", phases.bare, errors.bare, ms, cpu.bare);
  const bareHelper = summary("GET /healthz (helper key: key check + audit row committed before the answer)", phases.bareHelper, errors.bareHelper, ms, cpu.bareHelper);
  const noAuth = summary("GET /readyz (no auth)", phases.noAuth, errors.noAuth, ms, cpu.noAuth);
  const withHelper = summary("GET /v1/status (helper key: key check + audit row)", phases.helper, errors.helper, ms, cpu.helper);
  const withOwner = summary("GET /v1/status (owner key: key check, no audit row)", phases.owner, errors.owner, ms, cpu.owner);

  console.error("membrane bench: revocation");
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

  const socketVictim = await grantScopes("bench socket revoked", ["bus:publish:bench.*"]);
  console.error("membrane bench: uploads");
  const bodies = await uploadFlood();
  console.error("membrane bench: sockets");
  const sockets = await socketRevocation(socketVictim.token, async () => {
    const res = await fetch(`${base}/v1/owner/membrane/${socketVictim.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${rootKey}` } });
    await res.arrayBuffer();
  });

  console.log(
    JSON.stringify(
      {
        bench: "membrane",
        machine: { cpus: os.cpus().length, note: "load generator, libSQL server and workerd share these cores (and other developers' work)" },
        concurrency: CONCURRENCY,
        phaseMs: PHASE_MS,
        rounds: ROUNDS,
        sameRoute: {
          noKey: bare,
          helperKey: bareHelper,
          p50Ratio: round(bareHelper.p50Ms / bare.p50Ms),
          p50AddedMs: round(bareHelper.p50Ms - bare.p50Ms),
          // The CPU a helper request adds, per process: at 16 clients on 2 cores p50 ≈ 16 × CPU per request / 2.
          cpuMsAddedPerRequest: { workerd: round(bareHelper.cpuMsPerRequest.workerd - bare.cpuMsPerRequest.workerd), libsql: round(bareHelper.cpuMsPerRequest.libsql - bare.cpuMsPerRequest.libsql) },
          target: { p50Ratio: 1.5, p50AddedMs: 2 },
          met: bareHelper.p50Ms / bare.p50Ms <= 1.5 && bareHelper.p50Ms - bare.p50Ms <= 2,
        },
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
          sockets,
        },
        bodies,
        ...(profile ? { workerdProfileTop: profile } : {}),
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
