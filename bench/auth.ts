// The cost of the door on a cheap route, beside a bare workerd route started by this benchmark in
// the same run: 16 clients, phases alternated so drift on a shared machine hits all alike.
//   bare     — a second workerd serving a one-line Worker (the runtime's own floor)
//   public   — the seed's GET /healthz (the app's middleware, no key)
//   agent    — the seed's GET /v1/bus/whoami with an agent key (the key check and nothing else)
//   owner    — the seed's GET /v1/status with the owner's key (key check + three pings)
// Target: agent ≥ 0.5 × bare. PROFILE=DIR writes a CPU profile of the seed's workerd (V8
// inspector) over the agent phases and prints its top entries. Prints one JSON object.
// Run: `scripts/seed bench auth` (PHASE_MS= shortens it).
import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { addAgent, startSeed } from "../test/support/seed-process.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { startBare } from "./support/bare-workerd.ts";
import { WorkerdProfiler } from "./support/workerd-profile.ts";

const CONCURRENCY = 16;
const PHASE_MS = Number(process.env.PHASE_MS ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const PROFILE = process.env.PROFILE;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const round = (n: number) => Math.round(n * 1000) / 1000;

async function load(url: string, key: string | undefined, ms: number, latencies: number[]): Promise<number> {
  const deadline = performance.now() + ms;
  const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) errors++;
      }
    }),
  );
  return errors;
}

function summary(route: string, latencies: number[], errors: number, ms: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { route, requests: sorted.length, non200: errors, perSecond: Math.round(sorted.length / (ms / 1000)), p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

const dir = tempDir("seed bench auth ");
const inspector = PROFILE ? `127.0.0.1:${await freePort()}` : undefined;
const seed = await startSeed({ home: path.join(dir, "home"), env: inspector ? { SEED_WORKERD_INSPECTOR: inspector } : {} });
const bare = await startBare(dir);
try {
  const agent = await addAgent(seed, "bench-auth");
  const phases = [
    { name: "bare", route: "GET / (bare workerd, same machine)", url: `${bare.url}/`, key: undefined },
    { name: "public", route: "GET /healthz (seed, no key)", url: `${seed.url}/healthz`, key: undefined },
    { name: "agent", route: "GET /v1/bus/whoami (agent key)", url: `${seed.url}/v1/bus/whoami`, key: agent.token },
    { name: "owner", route: "GET /v1/status (owner key)", url: `${seed.url}/v1/status`, key: seed.rootKey() },
  ] as const;
  const warm: number[] = [];
  for (const p of phases) await load(p.url, p.key, 500, warm);

  // Attached only while profiling: an attached DevTools client receives every console.log of
  // workerd (a request log line per request), which slows the seed.
  let profiler: WorkerdProfiler | undefined;
  let profile: unknown;
  const lat: Record<string, number[]> = {};
  const err: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of phases) {
      lat[p.name] ??= [];
      if (inspector && p.name === "agent" && r === 0) await (profiler = await WorkerdProfiler.attach(inspector)).start();
      err[p.name] = (err[p.name] ?? 0) + (await load(p.url, p.key, PHASE_MS, lat[p.name]!));
      if (profiler && p.name === "agent" && r === 0) {
        mkdirSync(PROFILE!, { recursive: true });
        profile = (await profiler.stop(path.join(PROFILE!, "workerd-auth.cpuprofile"), 25)).map((e) => `${e.selfPercent}% ${e.frame}`);
        profiler.close();
        profiler = undefined;
      }
    }
  }
  const ms = PHASE_MS * ROUNDS;
  const out = Object.fromEntries(phases.map((p) => [p.name, summary(p.route, lat[p.name]!, err[p.name]!, ms)]));
  console.log(
    JSON.stringify(
      {
        bench: "auth",
        machine: { cpus: os.cpus().length, note: "load generator, libSQL server and both workerds share these cores" },
        concurrency: CONCURRENCY,
        phaseMs: PHASE_MS,
        rounds: ROUNDS,
        ...out,
        ratio: {
          agentVsBare: round(out.agent!.perSecond / out.bare!.perSecond),
          ownerVsBare: round(out.owner!.perSecond / out.bare!.perSecond),
          publicVsBare: round(out.public!.perSecond / out.bare!.perSecond),
          target: ">= 0.5 (issue 12: an authenticated read of a cheap route, agentVsBare)",
          met: out.agent!.perSecond / out.bare!.perSecond >= 0.5,
        },
        ...(profile ? { workerdProfileTop: profile } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  bare.stop();
  await seed.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
