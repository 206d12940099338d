// 100 defined agents at rest under a real `seed up`: 0 model calls, nothing stored, workerd idle
// over 60 s. Minutes of waiting for the runtime's own follow-ups, measured on this seed's
// processes only — so `seed test` runs this file beside the other suites (the "rest" project).
import { afterAll, beforeAll, expect, it } from "vitest";
import { settle, usageOf, usageSince } from "../support/proc-usage.ts";
import type { SeenCall, startScriptedModel } from "../support/scripted-model.ts";
import { callSeed, startSeedWithModel, until, type SeedProcess } from "../support/seed-process.ts";
import { afterWorkerdFollowUps, watchRuns } from "../support/workerd-sweep.ts";

let seed: SeedProcess;
let model: Awaited<ReturnType<typeof startScriptedModel>>;

beforeAll(async () => {
  ({ seed, model } = await startSeedWithModel("seed agents at rest"));
}, 180_000);

afterAll(async () => {
  await seed?.stop();
  await model?.close();
});

it("100 defined agents at rest: 0 model calls, nothing stored, workerd idle over 60 s", async () => {
  const api = <T>(method: string, p: string, body?: unknown) => callSeed<T>(seed, method, p, body);
  for (let i = 0; i < 100; i++) {
    const r = await api("POST", "/v1/owner/agents", { name: `rester-${i}`, capabilities: [`rest-${i}`], model: "rest-model", instructions: "Rest.", tools: ["work"] });
    expect(r.status).toBe(201);
  }
  await fetch(`${model.url}/scripts/rest-model`, { method: "PUT", body: JSON.stringify({ turns: [{ content: "never asked" }] }) });
  // Let whatever the definitions set in motion finish (the mind's cycle, the bus), then measure.
  await until("a resting mind", async () => (await api<{ state: string }>("GET", "/v1/mind")).json.state === "resting", { boundMs: 60_000 });
  const pids = { workerd: seed.pidOf("workerd"), libsql: seed.pidOf("libsql") };
  // What the requests set in motion runs first (the mind's cycle, WAL checkpoints), then a
  // 60 s window — the same criterion as the bus's resting check (bus-door.test.ts): nothing
  // reaches storage and workerd runs at most once, for workerd's own 70-s sweep of its object
  // table (a few ms, the runtime's housekeeping: see the README's "At rest"). A heartbeat of
  // 100 agents would cost storage, model calls and many ticks.
  // workerd puts each object used to sleep 10 s after its use and drops it from its table up to
  // 140 s after (test/support/workerd-sweep.ts): those follow-ups (and their storage) come first.
  await afterWorkerdFollowUps(pids.workerd, Date.now());
  await settle(pids, { quietMs: 9000, maxMs: 120_000, stepMs: 500 });
  const restMs = Number(process.env.AGENTS_REST_MS ?? 60_000);
  const before = { workerd: usageOf(pids.workerd), libsql: usageOf(pids.libsql) };
  const ran = await watchRuns(pids.workerd, restMs);
  const used = { workerd: usageSince(pids.workerd, before.workerd), libsql: usageSince(pids.libsql, before.libsql) };
  console.log(`rest ${restMs} ms: ${JSON.stringify(used)}; workerd ran ${JSON.stringify(ran.runs)}`);
  expect(used.workerd.storageBytes).toBe(0);
  expect(used.libsql.storageBytes).toBe(0);
  expect(used.workerd.ticks).toBeLessThanOrEqual(1);
  expect(used.libsql.ticks).toBeLessThanOrEqual(3);
  const calls = (await (await fetch(`${model.url}/scripts/rest-model/calls`)).json()) as SeenCall[];
  expect(calls).toEqual([]);
}, 420_000);
