// The seed's own agents on a real `seed up`, with a loopback model that answers at once (the
// scripted chat-completions server: test/support/scripted-model.ts). Prints one JSON object:
// 1. Overhead per agent step, excluding the model's own time: for each turn, from the moment the
//    model's answer left the model server until the agent's next request reached it — recording
//    the turn, running its tool (work_progress: a call to the mind), the heartbeat to the mind and
//    the usage write to libSQL, building the next request. Anchor, same run: a bare HTTP round trip
//    to the seed (GET /healthz). Targets: p50 ≤ 5 ms, p99 ≤ 20 ms.
// 2. 50 agents working concurrently on 1,000 tasks (each task: one tool call, then the answer):
//    tasks/s from the first task created to the last one done, and the mind's wake-to-dispatch
//    latency per task (created → dispatched, from the ledger's own history).
// 3. workerd's RSS with 100 defined agents at rest (after the load, once quiet), beside its RSS
//    before any agent existed.
// Run: `scripts/seed bench agents` (STEPS=, TASKS=, AGENTS= shorten it). PROFILE=DIR writes a CPU
// profile of workerd (V8 inspector) over the step phase and prints its top entries.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Task, TaskChange } from "../lib/mind/wire.ts";
import { runCli } from "../test/support/cli.ts";
import { startScriptedModel } from "../test/support/scripted-model.ts";
import { startSeed } from "../test/support/seed-process.ts";
import { freePort, tempDir } from "../test/support/seed-home.ts";
import { WorkerdProfiler } from "./support/workerd-profile.ts";

const STEPS = Number(process.env.STEPS ?? 400);
const TASKS = Number(process.env.TASKS ?? 1000);
const AGENTS = Number(process.env.AGENTS ?? 50);
const DEFINED = 100;
const PROFILE = process.env.PROFILE;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const round = (n: number) => Math.round(n * 100) / 100;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50Ms: round(percentile(s, 50)), p99Ms: round(percentile(s, 99)), maxMs: round(s.at(-1) ?? 0) };
};
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const ticks = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const model = await startScriptedModel();
const home = path.join(tempDir("seed bench agents "), "seed home");
for (const args of [["init"], ["services", "set", "LLM", "--url", model.url]]) {
  const r = runCli(args, { SEED_HOME: home });
  if (r.status !== 0) throw new Error(r.stderr);
}
const inspector = PROFILE ? `127.0.0.1:${await freePort()}` : undefined;
const seed = await startSeed({ home, env: inspector ? { SEED_WORKERD_INSPECTOR: inspector } : {} });
const key = seed.rootKey();

async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${seed.url}${p}`, { method, headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

// Polls every 250 ms: each poll is an owner request (key check, the task's whole history) that
// would otherwise compete with the steps being measured.
async function until<T>(what: string, check: () => Promise<T | null | false | undefined>, boundMs = 600_000): Promise<T> {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const defineAgent = (name: string, modelName: string, capability: string, extra: Record<string, unknown> = {}) =>
  api<{ id: string }>("POST", "/v1/owner/agents", { name, capabilities: [capability], model: modelName, instructions: "Benchmark agent.", tools: ["work"], ...extra });

async function quiet(pid: number): Promise<void> {
  await until("workerd to be quiet", async () => {
    const t = ticks(pid);
    await sleep(3000);
    return ticks(pid) === t;
  });
}

const out: Record<string, unknown> = { at: new Date().toISOString(), cpus: (await import("node:os")).cpus().length };
try {
  const workerd = seed.pidOf("workerd");
  await quiet(workerd);
  const rssBefore = rssMiB(workerd);

  // ---- anchor: a bare HTTP round trip to the seed
  const healthz: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await (await fetch(`${seed.url}/healthz`)).arrayBuffer();
    healthz.push(performance.now() - t0);
  }

  // ---- 1. overhead per step
  const perTask = Math.min(STEPS, 200);
  const tasks = Math.ceil(STEPS / perTask);
  await fetch(`${model.url}/scripts/step-model`, { method: "PUT", body: JSON.stringify({ turns: [...Array.from({ length: perTask }, () => ({ tool_calls: [{ name: "work_progress", arguments: { note: "step" } }] })), { content: "done" }] }) });
  await defineAgent("step-agent", "step-model", "bench-step", { maxSteps: perTask + 1, maxTaskTime: "1h" });
  const profiler = inspector ? await WorkerdProfiler.attach(inspector) : undefined;
  await profiler?.start();
  for (let i = 0; i < tasks; i++) {
    const t = await api<Task>("POST", "/v1/work", { title: `steps ${i}`, capability: "bench-step" });
    await until("the step task", async () => (await api<Task>("GET", `/v1/work/${t.id}`)).state === "done");
  }
  if (profiler) {
    mkdirSync(PROFILE!, { recursive: true });
    out.stepProfileTop = (await profiler.stop(path.join(PROFILE!, "workerd-agents.cpuprofile"), 30)).map((e) => `${e.selfPercent}% ${e.frame}`);
    profiler.close();
  }
  type Seen = { turn: number; receivedAt: number; answeredAt: number | null; messages: { role: string }[] };
  const seen = (await (await fetch(`${model.url}/scripts/step-model/calls`)).json()) as Seen[];
  const gaps: number[] = [];
  for (let i = 1; i < seen.length; i++) if (seen[i]!.turn === seen[i - 1]!.turn + 1 && seen[i - 1]!.answeredAt !== null) gaps.push(seen[i]!.receivedAt - seen[i - 1]!.answeredAt!);
  const modelTime = seen.filter((s) => s.answeredAt !== null).map((s) => s.answeredAt! - s.receivedAt);
  out.stepOverhead = { ...stats(gaps), targetP50Ms: 5, targetP99Ms: 20, modelTime: stats(modelTime), anchorHealthz: stats(healthz) };

  // ---- 2. 50 agents, 1,000 tasks
  await fetch(`${model.url}/scripts/load-model`, { method: "PUT", body: JSON.stringify({ turns: [{ tool_calls: [{ name: "work_progress", arguments: { note: "working" } }] }, { content: "done" }] }) });
  for (let i = 0; i < AGENTS; i++) await defineAgent(`load-${i}`, "load-model", "bench-load");
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < TASKS; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, TASKS - i) }, (_, j) => api<Task>("POST", "/v1/work", { title: `load ${i + j}`, capability: "bench-load" })));
    ids.push(...batch.map((t) => t.id));
  }
  const created = performance.now() - t0;
  await until("every load task done", async () => {
    const done = await api<{ tasks: Task[] }>("GET", `/v1/work?capability=bench-load&state=done&limit=1000`);
    return done.tasks.length >= TASKS;
  });
  const wall = performance.now() - t0;
  const dispatch: number[] = [];
  const failed = (await api<{ tasks: Task[] }>("GET", `/v1/work?capability=bench-load&state=failed&limit=1000`)).tasks.length;
  for (const id of ids.filter((_, i) => i % 4 === 0)) {
    const h = (await api<Task & { history: TaskChange[] }>("GET", `/v1/work/${id}`)).history;
    const open = h.find((x) => x.state === "open")!;
    const d = h.find((x) => x.state === "dispatched");
    if (d) dispatch.push(d.at - open.at);
  }
  out.load = { agents: AGENTS, tasks: TASKS, failed, createSeconds: round(created / 1000), wallSeconds: round(wall / 1000), tasksPerSecond: round(TASKS / (wall / 1000)), wakeToDispatch: { ...stats(dispatch), sampled: "every 4th task, from the ledger's history (ms resolution)" } };

  // ---- 3. RSS with 100 defined agents at rest
  const have = AGENTS + 1;
  for (let i = have; i < DEFINED; i++) await defineAgent(`idle-${i}`, "idle-model", `bench-idle-${i}`);
  await quiet(workerd);
  const t1 = ticks(workerd);
  await sleep(10_000);
  out.rest = { definedAgents: DEFINED, workerdRssMiB: round(rssMiB(workerd)), workerdRssBeforeAgentsMiB: round(rssBefore), cpuTicksOver10s: ticks(workerd) - t1 };
} finally {
  await seed.stop();
  await model.close();
}
console.log(JSON.stringify(out, null, 2));
