// Bus benchmark: end-to-end durable publish → deliver → ack, 16 producers, 4 consumers, 1 KiB
// JSON bodies, over HTTP pull and WebSocket push, beside the anchor in the same run: Redis
// Streams with the seed's durability (appendonly yes, appendfsync always: nothing acknowledged
// before it is on disk; XADD, XREADGROUP, XACK), one command per round trip and pipelined, and
// appendfsync everysec for context. Also publish→deliver latency at a fixed 1,000 msg/s, the
// saturation point (the first fixed rate whose p99 passes 100 ms), idle CPU with 100 connected
// agents, and workerd's RSS once idle after the load beside its V8 heap (inspector). Prints one
// JSON object, and each phase's JSON on stderr as it completes. With MODES=…http, a bare workerd
// route under the same clients gives the ceiling of one request per message. MODES also picks
// the anchors that run. Run: `scripts/seed bench bus` (MESSAGES=50000; MODES=ws,http to pick; RATE_SECONDS=
// for the fixed-rate steps, 0 skips them; IDLE_AGENTS=0 skips the idle phase; PROFILE=DIR writes a
// CPU profile of workerd per mode). Each mode also reports workerd's and libSQL's CPU µs per message,
// the figure to compare while other work shares the cores.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BusClient, type BusSocket } from "../lib/bus/client.ts";
import { addAgent, startSeed, type SeedProcess } from "../test/support/seed-process.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { Resp, type Reply } from "./support/resp.ts";
import { startBare } from "./support/bare-workerd.ts";
import { WorkerdProfiler } from "./support/workerd-profile.ts";

const N = Number(process.env.MESSAGES ?? 50_000);
const MODES = (process.env.MODES ?? "ws,ws-batch,http,http-batch").split(",") as ("ws" | "ws-batch" | "http" | "http-batch")[];
const RATE_SECONDS = Number(process.env.RATE_SECONDS ?? 5);
const PROFILE = process.env.PROFILE;
const IDLE_AGENTS = Number(process.env.IDLE_AGENTS ?? 100);
const PRODUCERS = 16;
const CONSUMERS = 4;
const PAD = "x".repeat(1000);
const now = () => performance.timeOrigin + performance.now();
const body = (n: number) => ({ n, t: now(), pad: PAD });

type Run = { messages: number; seconds: number; msgPerSec: number; latencyMs: { p50: number; p99: number }; cpuUsPerMessage?: { workerd: number; libsql: number } };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
}

function summarise(count: number, t0: number, latencies: number[]): Run {
  const seconds = (now() - t0) / 1000;
  return { messages: count, seconds: Math.round(seconds * 100) / 100, msgPerSec: Math.round(count / seconds), latencyMs: { p50: pct(latencies, 50), p99: pct(latencies, 99) } };
}

/** Splits 0..n-1 among k workers. */
const shares = (n: number, k: number) => Array.from({ length: k }, (_, i) => Array.from({ length: Math.floor(n / k) + (i < n % k ? 1 : 0) }, (_, j) => j * k + i));

/**
 * workerd's inspector answers only while the isolate has work: waiting on it with the seed idle
 * could take minutes (the run that "did not exit"). Cheap requests keep it awake meanwhile.
 */
async function awake<T>(seed: SeedProcess, work: Promise<T>): Promise<T> {
  const poke = setInterval(() => void fetch(`${seed.url}/healthz`).then((r) => r.body?.cancel()).catch(() => {}), 250);
  try {
    return await work;
  } finally {
    clearInterval(poke);
  }
}

/** Each phase's JSON on stderr as it completes: a run that stalls later still shows what it measured. */
const progress = (phase: string, value: unknown) => process.stderr.write(`bench bus: ${phase} ${JSON.stringify(value)}\n`);

/**
 * Waits for `work`, but fails the run when `count()` has not moved for 60 s — with what it still
 * waits for — instead of hanging silently.
 */
async function guarded<T>(phase: string, work: Promise<T>, count: () => number, target: number): Promise<T> {
  let last = -1;
  let since = now();
  let timer!: ReturnType<typeof setInterval>;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const c = count();
      if (c !== last) [last, since] = [c, now()];
      else if (now() - since > 60_000) reject(new Error(`bench bus: ${phase} stalled: ${c} of ${target} for 60 s`));
    }, 1000);
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearInterval(timer);
  }
}

// ---- the seed's bus

async function seedRun(seed: SeedProcess, mode: "http" | "ws" | "ws-batch" | "http-batch"): Promise<Run> {
  const producer = await addAgent(seed, `producer-${mode}`);
  const consumer = await addAgent(seed, `consumer-${mode}`);
  const topic = `bench.${mode}`;
  const sub = `bench-${mode}`;
  const con = new BusClient({ url: seed.url, token: consumer.token });
  await con.putSubscription(sub, { topic, ackDeadlineMs: 60_000 });
  const latencies: number[] = [];
  let acked = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const onMessage = (m: { body: unknown }) => {
    latencies.push(now() - (m.body as { t: number }).t);
  };

  const sockets: BusSocket[] = [];
  let consumers: Promise<void>[] = [];
  if (mode.startsWith("ws")) {
    for (let c = 0; c < CONSUMERS; c++) {
      const s = con.connect();
      sockets.push(s);
      await s.subscribe(sub, (m) => {
        onMessage(m);
        if (++acked === N) finish();
      }, { window: 500 });
    }
  } else {
    consumers = Array.from({ length: CONSUMERS }, async () => {
      while (acked < N) {
        const got = await con.pull(sub, { max: 200, waitMs: 1000 });
        if (got.length === 0) continue;
        for (const m of got) onMessage(m);
        await con.ack(sub, got.map((m) => m.ackId));
        acked += got.length;
      }
      finish();
    });
  }

  const t0 = now();
  const pub = new BusClient({ url: seed.url, token: producer.token });
  let published = 0;
  const producing = Promise.all(
    shares(N, PRODUCERS).map(async (mine) => {
      if (mode === "http") {
        for (const n of mine) {
          await pub.publish(topic, body(n));
          published++;
        }
      } else if (mode === "http-batch") {
        for (let i = 0; i < mine.length; i += 50) published += (await pub.publishBatch(topic, mine.slice(i, i + 50).map((n) => ({ body: body(n) })))).length;
      } else {
        const s = pub.connect();
        sockets.push(s);
        const step = mode === "ws" ? 1 : 50;
        for (let i = 0; i < mine.length; i += step) published += (await s.publish(topic, mine.slice(i, i + step).map((n) => ({ body: body(n) })))).length;
      }
    }),
  );
  await guarded(mode, Promise.all([producing, done]), () => published + latencies.length, 2 * N);
  const run = summarise(N, t0, latencies);
  await Promise.all(consumers);
  for (const s of sockets) s.close();
  return run;
}

/** Publish→deliver latency at a fixed rate over WebSocket push. */
async function seedFixedRate(seed: SeedProcess, rate: number, seconds: number): Promise<Run & { rate: number }> {
  const producer = await addAgent(seed, `producer-rate-${rate}`);
  const consumer = await addAgent(seed, `consumer-rate-${rate}`);
  const topic = `bench.rate.${rate}`;
  const con = new BusClient({ url: seed.url, token: consumer.token });
  await con.putSubscription("bench-rate", { topic });
  const total = rate * seconds;
  const latencies: number[] = [];
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const cs = con.connect();
  await cs.subscribe("bench-rate", (m) => {
    latencies.push(now() - (m.body as { t: number }).t);
    if (latencies.length === total) finish();
  }, { window: 500 });
  const ps = new BusClient({ url: seed.url, token: producer.token }).connect();
  await ps.ready();
  const t0 = now();
  const sends: Promise<unknown>[] = [];
  for (let n = 0; n < total; n++) {
    const due = t0 + (n * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(ps.publish(topic, [{ body: body(n) }]));
  }
  await guarded(`fixed rate ${rate}/s`, Promise.all(sends).then(() => done), () => latencies.length, total);
  cs.close();
  ps.close();
  return { rate, ...summarise(total, t0, latencies) };
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
}

async function idleCpu(seed: SeedProcess, agents: number, seconds: number) {
  const sockets: BusSocket[] = [];
  for (let i = 0; i < agents; i++) {
    const a = await addAgent(seed, `idle-${i}`);
    const s = new BusClient({ url: seed.url, token: a.token }).connect();
    await s.subscribe("inbox", () => {});
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 1000)); // let connection set-up settle
  const pids = [seed.pidOf("workerd"), seed.pidOf("libsql")];
  const before = pids.map(cpuTicks);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = pids.map(cpuTicks);
  for (const s of sockets) s.close();
  const ticks = after.map((a, i) => a - before[i]!);
  return { connectedAgents: agents, seconds, cpuTicks: { workerd: ticks[0], libsql: ticks[1] }, cpuPercent: Math.round((ticks.reduce((x, y) => x + y, 0) / (seconds * 100)) * 10000) / 100 };
}

/**
 * The HTTP ceiling: a bare workerd route (a one-line Worker) under the same 16 clients, each
 * POSTing the 1 KiB body one request at a time, for as many requests as the HTTP mode makes.
 */
async function bareRoute(count: number): Promise<Run> {
  const dir = tempDir("seed bench bus bare ");
  const bare = await startBare(dir);
  const latencies: number[] = [];
  const t0 = now();
  await Promise.all(
    shares(count, PRODUCERS).map(async (mine) => {
      for (const n of mine) {
        const t = now();
        await (await fetch(`${bare.url}/`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ body: body(n) }) })).arrayBuffer();
        latencies.push(now() - t);
      }
    }),
  );
  const run = summarise(count, t0, latencies);
  bare.stop();
  rmSync(dir, { recursive: true, force: true });
  return run;
}

// ---- the anchor: Redis Streams

/** The anchor comes from Debian's package; installed on first use where we may (root). */
function ensureRedis(): void {
  const has = () => spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;
  if (has()) return;
  if (process.getuid?.() === 0) {
    process.stderr.write("bench: installing Debian's redis-server for the anchor\n");
    spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"], { stdio: "ignore" });
  }
  if (!has()) throw new Error("the anchor needs redis-server: apt-get install redis-server");
}

async function startRedis(): Promise<{ port: number; stop: () => void }> {
  ensureRedis();
  const dir = tempDir("seed bench redis ");
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], { stdio: "ignore" });
  for (;;) {
    try {
      const r = await Resp.connect(port);
      await r.send("PING");
      r.close();
      break;
    } catch {
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  return { port, stop: () => { child.kill("SIGTERM"); rmSync(dir, { recursive: true, force: true }); } };
}

async function redisRun(port: number, pipelined: boolean, fsync: "always" | "everysec"): Promise<Run> {
  const stream = `bench:${pipelined ? "pipe" : "one"}:${fsync}`;
  const admin = await Resp.connect(port);
  await admin.send("CONFIG", "SET", "appendfsync", fsync);
  await admin.send("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM");
  const latencies: number[] = [];
  let acked = 0;
  const consumers = Array.from({ length: CONSUMERS }, async (_, c) => {
    const r = await Resp.connect(port);
    while (acked < N) {
      const reply = (await r.send("XREADGROUP", "GROUP", "g", `c${c}`, "COUNT", 200, "BLOCK", 1000, "STREAMS", stream, ">")) as Reply[] | null;
      if (!reply) continue;
      const entries = ((reply[0] as Reply[])[1] as Reply[]).map((e) => e as [string, string[]]);
      for (const [, fields] of entries) latencies.push(now() - (JSON.parse(fields[1]!) as { t: number }).t);
      await r.send("XACK", stream, "g", ...entries.map(([id]) => id));
      acked += entries.length;
    }
    r.close();
  });
  const t0 = now();
  await Promise.all(
    shares(N, PRODUCERS).map(async (mine) => {
      const r = await Resp.connect(port);
      if (pipelined) {
        for (let i = 0; i < mine.length; i += 50) await Promise.all(r.pipeline(mine.slice(i, i + 50).map((n) => ["XADD", stream, "*", "d", JSON.stringify(body(n))])));
      } else {
        for (const n of mine) await r.send("XADD", stream, "*", "d", JSON.stringify(body(n)));
      }
      r.close();
    }),
  );
  await Promise.all(consumers);
  admin.close();
  return summarise(N, t0, latencies);
}

// ---- main

// The anchors a mode is compared with: Redis one XADD per round trip for every mode (the ratio
// printed), pipelined for the batch modes, everysec beside the one-per-frame socket for context.
const redis = await startRedis();
const redisAlways = await redisRun(redis.port, false, "always");
progress("redisStreamsAlwaysOnePerRoundTrip", redisAlways);
const redisAlwaysPipe = MODES.some((m) => m.endsWith("-batch")) ? await redisRun(redis.port, true, "always") : undefined;
if (redisAlwaysPipe) progress("redisStreamsAlwaysPipelined50", redisAlwaysPipe);
const redisEverysec = MODES.includes("ws") ? await redisRun(redis.port, false, "everysec") : undefined;
if (redisEverysec) progress("redisStreamsEverysecOnePerRoundTrip", redisEverysec);
redis.stop();
// With the HTTP mode, the bare workerd route in the same run: the ceiling one request per message has.
const bare = MODES.includes("http") ? await bareRoute(N) : undefined;
if (bare) progress("bareWorkerdRoutePost1KiB", bare);

const inspector = `127.0.0.1:${await freePort()}`;
const seedDir = tempDir("seed bench bus ");
const seed = await startSeed({ home: path.join(seedDir, "home"), env: { SEED_WORKERD_INSPECTOR: inspector } });
// The inspector is attached only while it is used: an attached DevTools client receives every
// console.log of workerd (one request log line per request), which slows the seed measurably.
const workerdRss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${seed.pidOf("workerd")}/status`, "utf8"))![1]) / 1024);
const rssAtStart = workerdRss();
const results: Partial<Record<(typeof MODES)[number], Run>> = {};
const profiles: Record<string, string[]> = {};
for (const mode of MODES) {
  const profiler = PROFILE ? await WorkerdProfiler.attach(inspector) : undefined;
  if (profiler) await awake(seed, profiler.start());
  // CPU time per message (utime + stime of each process over the phase): unlike msg/s it hardly
  // moves when other work shares the cores, so it is the number to compare between runs.
  const pids = [seed.pidOf("workerd"), seed.pidOf("libsql")];
  const before = pids.map(cpuTicks);
  const run = await seedRun(seed, mode);
  const [w, l] = pids.map((pid, i) => Math.round(((cpuTicks(pid) - before[i]!) * 10_000) / run.messages));
  results[mode] = { ...run, cpuUsPerMessage: { workerd: w!, libsql: l! } };
  progress(mode, { ...results[mode], vsRedisAlwaysOnePerRoundTrip: Math.round((run.msgPerSec / redisAlways.msgPerSec) * 100) / 100 });
  if (profiler) {
    mkdirSync(PROFILE!, { recursive: true });
    profiles[mode] = (await awake(seed, profiler.stop(path.join(PROFILE!, `workerd-bus-${mode}.cpuprofile`), 25))).map((e) => `${e.selfPercent}% ${e.frame}`);
    profiler.close();
  }
}
const fixed = RATE_SECONDS > 0 ? await seedFixedRate(seed, 1000, RATE_SECONDS) : null;
if (fixed) progress("fixedRate1000PerSecWs", fixed);
// The saturation point: the first rate whose publish→deliver p99 passes 100 ms.
const sweep: { rate: number; msgPerSec: number; p50: number; p99: number }[] = [];
for (const rate of RATE_SECONDS > 0 ? [2000, 3000, 4000, 6000, 8000, 12000, 16000] : []) {
  const r = await seedFixedRate(seed, rate, Math.max(2, Math.round(RATE_SECONDS / 2)));
  sweep.push({ rate, msgPerSec: r.msgPerSec, p50: r.latencyMs.p50, p99: r.latencyMs.p99 });
  progress(`fixedRate${rate}`, sweep.at(-1));
  if (r.latencyMs.p99 > 100) break;
}
const saturation = sweep.find((r) => r.p99 > 100)?.rate ?? null;
const rssAfterLoad = workerdRss();
const idle = IDLE_AGENTS > 0 ? await idleCpu(seed, IDLE_AGENTS, 5) : null;
const rssIdle = workerdRss();
progress("rss", { afterLoad: rssAfterLoad, idleAfterLoad: rssIdle, at: new Date().toISOString() });
const profiler = await WorkerdProfiler.attach(inspector);
await awake(seed, profiler.collectGarbage());
const heap = await awake(seed, profiler.heapUsage());
const rssIdleAfterGc = workerdRss();
profiler.close();
progress("gc", { rssIdleAfterGc, heap, at: new Date().toISOString() });
await seed.stop();
rmSync(seedDir, { recursive: true, force: true }); // the seed's temporary home (its bus and bundle)
progress("stopped", { at: new Date().toISOString() });

const vs = (r: Run | undefined, anchor: Run | undefined) => (r && anchor ? Math.round((r.msgPerSec / anchor.msgPerSec) * 100) / 100 : null);
const seedOut = (r: Run | undefined, extra: Record<string, unknown> = {}) => (r ? { ...r, vsRedisAlwaysOnePerRoundTrip: vs(r, redisAlways), ...extra } : null);
console.log(
  JSON.stringify(
    {
      bench: "bus",
      messages: N,
      producers: PRODUCERS,
      consumers: CONSUMERS,
      bodyBytes: JSON.stringify(body(0)).length,
      anchor: { bareWorkerdRoutePost1KiB: bare ?? null, redisStreamsAlwaysOnePerRoundTrip: redisAlways, redisStreamsAlwaysPipelined50: redisAlwaysPipe ?? null, redisStreamsEverysecOnePerRoundTrip: redisEverysec ?? null },
      seed: {
        wsPushOnePerFrame: seedOut(results.ws),
        wsPushBatch50: seedOut(results["ws-batch"], { vsRedisAlwaysPipelined: vs(results["ws-batch"], redisAlwaysPipe) }),
        httpPullOnePerRequest: seedOut(results.http, { vsBareWorkerdRoute: vs(results.http, bare) }),
        httpPullBatch50: seedOut(results["http-batch"]),
      },
      fixedRate1000PerSecWs: fixed,
      saturation: { sweep, rateWhereP99Passes100Ms: saturation },
      idle,
      workerdRssMiB: { atStart: rssAtStart, afterLoad: rssAfterLoad, idleAfterLoad: rssIdle, idleAfterGc: rssIdleAfterGc, v8HeapAfterGc: heap },
      ...(PROFILE ? { workerdProfileTop: profiles } : {}),
      targets: { wsVsRedisAlwaysOnePerRoundTrip: ">= 0.5, then >= 1", p99AtFixedRateMs: "<= 20", httpPullOnePerRequestMsgPerSec: ">= 2000", workerdRssIdleAfterLoadMiB: "<= 200", idleCpuPercent: "~0" },
    },
    null,
    2,
  ),
);
process.exit(0);
