// The mind under a real `seed up`: a task's deadline still fires after workerd is killed with -9
// between its dispatch and its deadline; a signed webhook wakes the mind at once on the real
// clock; `seed work import`, `seed hooks add`, `seed rules add` and `seed pulse` work end to end.
// Waits are polls for an event (a task's state, a cycle), each bounded; nothing sleeps for time.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signStandard, standardSecretBytes } from "../../lib/mind/standard-webhooks.ts";
import { importHmacKey, utf8 } from "../../lib/mind/hmac.ts";
import type { CoherenceReport, MindStatus, Task, TaskChange } from "../../lib/mind/wire.ts";
import { runCli } from "../support/cli.ts";
import { addAgent, callSeed, startSeed, until, type SeedProcess } from "../support/seed-process.ts";

let seed: SeedProcess;
const api = <T>(method: string, p: string, body?: unknown, key?: string) => callSeed<T>(seed, method, p, body, key);

const cli = (...args: string[]) => runCli(args, { SEED_HOME: seed.home, WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });

describe("the mind under seed up (system)", () => {
  beforeAll(async () => {
    seed = await startSeed();
  }, 180_000);

  afterAll(async () => {
    await seed?.stop();
  });

  it("a deadline still fires after workerd is killed between the task's dispatch and its deadline", async () => {
    const agent = await addAgent(seed, "restart-agent", ["restart-cap"]);
    const created = await api<Task>("POST", "/v1/work", { title: "must not be forgotten", capability: "restart-cap", deadlineInMs: 4000 });
    expect(created.status).toBe(201);
    const task = created.json;
    await until("the dispatch", async () => (await api<Task>("GET", `/v1/work/${task.id}`)).json.state === "dispatched");
    const claimed = await api<Task>("POST", `/v1/work/${task.id}/claim`, undefined, agent.token);
    expect(claimed.json.state).toBe("claimed");

    const old = seed.pidOf("workerd");
    process.kill(old, "SIGKILL");
    expect(Date.now()).toBeLessThan(task.deadline!);
    await seed.waitFor(/workerd exited \(signal SIGKILL\); restarting/);
    await seed.waitFor(/workerd is back/);
    expect(seed.pidOf("workerd")).not.toBe(old);

    const expired = await until("the deadline after the restart", async () => {
      const r = await api<Task & { history: TaskChange[] }>("GET", `/v1/work/${task.id}`);
      return r.status === 200 && r.json.state === "expired" ? r.json : null;
    });
    const last = expired.history.at(-1)!;
    expect(last).toMatchObject({ state: "expired", actor: "mind" });
    expect(last.at).toBeGreaterThanOrEqual(task.deadline!);
    expect(expired.history.map((h) => h.state)).toEqual(["open", "dispatched", "claimed", "expired"]);
  }, 90_000);

  it("a signed webhook wakes the mind at once (real clock), configured with the CLI", async () => {
    const add = cli("hooks", "add", "sys-shop", "--scheme", "standard-webhooks", "--secret-from-env", "WEBHOOK_SECRET");
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).not.toContain("MfKQ9r8G");
    const rule = cli("rules", "add", "--source", "sys-shop", "--event", "order.*", "--capability", "sys-packing", "--title", "pack {{data.order}}");
    expect(rule.status, rule.stderr).toBe(0);

    const before = (await api<MindStatus>("GET", "/v1/mind")).json.cycles;
    const now = Date.now();
    const body = JSON.stringify({ type: "order.paid", timestamp: new Date(now).toISOString(), data: { order: 7 } });
    const key = await importHmacKey(standardSecretBytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!);
    const ts = Math.floor(now / 1000);
    const res = await fetch(`${seed.url}/v1/hooks/sys-shop`, {
      method: "POST",
      headers: { "webhook-id": "msg_sys_1", "webhook-timestamp": String(ts), "webhook-signature": await signStandard(key, "msg_sys_1", ts, utf8(body)), "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(202);
    const accepted = Date.now();
    // A generous bound (a loaded 2-core machine); how soon the cycle started is reported, not asserted.
    const status = await until("a cycle after the webhook", async () => {
      const s = (await api<MindStatus>("GET", "/v1/mind")).json;
      return s.cycles > before && s.lastCycle?.endedAt ? s : null;
    }, { boundMs: 25_000 });
    // The cycle that handled it was woken by it (the alarm armed for "now"), not an earlier one.
    expect(status.lastCycle!.startedAt).toBeGreaterThanOrEqual(now);
    console.log(JSON.stringify({ measured: "cycle start after the 202", ms: status.lastCycle!.startedAt - accepted }));
    const tasks = (await api<{ tasks: Task[] }>("GET", "/v1/work?capability=sys-packing")).json.tasks;
    expect(tasks.map((t) => t.title)).toEqual(["pack 7"]);
  }, 30_000);

  it("`seed work import` loads history and `seed pulse` shows the stalled subsystem", async () => {
    const now = Date.now();
    const day = 86_400_000;
    const stalledAt = now - 30 * day;
    const lines: object[] = [];
    for (let k = 40; k >= 0; k--) lines.push({ id: `sys-inv-${k}`, title: `invoice ${k}`, capability: "sys-invoices", source: "sys-erp", state: "done", createdAt: stalledAt - k * day - 3_600_000, finishedAt: stalledAt - k * day });
    for (let k = 0; k < 30; k++) lines.push({ id: `sys-inv-open-${k}`, title: `invoice +${k}`, capability: "sys-invoices", source: "sys-erp", state: "open", createdAt: new Date(stalledAt + k * day).toISOString() });
    const file = path.join(seed.home, "..", "history.jsonl");
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");

    const imported = cli("work", "import", file, "--batch", "25", "--json");
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 71, skipped: 0, lines: 71, open: false });

    const report = await until("the cycle that measures the import", async () => {
      const r = (await api<CoherenceReport>("GET", "/v1/mind/coherence")).json;
      return r.stalled.some((s) => s.name === "sys-invoices") ? r : null;
    }, { boundMs: 10_000 });
    expect(report.stalled.find((s) => s.name === "sys-invoices")).toMatchObject({ kind: "capability", stalledSince: stalledAt + 3 * day, waitingSince: stalledAt, open: 30, stallReason: "no_progress" });

    const text = cli("pulse");
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^mind {5}(resting|awake) · observe · \d+ cycles/m);
    expect(text.stdout).toContain(`flagged  capability sys-invoices STALLED since ${new Date(stalledAt + 3 * day).toISOString()}`);
    expect(text.stdout).toContain(`waiting since ${new Date(stalledAt).toISOString()}`);
    const json = JSON.parse(cli("pulse", "--json").stdout) as { status: MindStatus; coherence: CoherenceReport };
    expect(json.coherence.stalled.map((s) => s.name)).toContain("sys-invoices");

    // Two parts in two runs of the CLI are one import: nothing is judged until the last part is in.
    const parts = [0, 1].map((i) => path.join(seed.home, "..", `part${i}.jsonl`));
    const pl = (k: number) => ({ id: `sys-pay-${k}`, title: `pay ${k}`, capability: "sys-payroll", state: "done", createdAt: stalledAt - k * 7 * day, finishedAt: stalledAt - k * 7 * day + 60_000 });
    writeFileSync(parts[0]!, [...Array.from({ length: 10 }, (_, k) => pl(k + 1))].map((l) => JSON.stringify(l)).join("\n") + "\n");
    writeFileSync(parts[1]!, JSON.stringify({ id: "sys-pay-open", title: "pay now", capability: "sys-payroll", state: "open", createdAt: stalledAt }) + "\n");
    const p1 = cli("work", "import", parts[0]!, "--session", "onboarding", "--more", "--json");
    expect(p1.status, p1.stderr).toBe(0);
    expect(JSON.parse(p1.stdout)).toMatchObject({ imported: 10, importId: "onboarding", open: true });
    expect((await api<MindStatus>("GET", "/v1/mind")).json.openImports).toBe(1);
    const p2 = cli("work", "import", parts[1]!, "--session", "onboarding");
    expect(p2.status, p2.stderr).toBe(0);
    expect(p2.stdout).toContain("the mind wakes to look at all of it");
    const after = await until("the cycle after the last part", async () => {
      const r = (await api<CoherenceReport>("GET", "/v1/mind/coherence")).json;
      return r.flagged.some((s) => s.name === "sys-payroll") ? r : null;
    }, { boundMs: 10_000 });
    expect(after.flagged.find((s) => s.name === "sys-payroll")).toMatchObject({ flags: ["stalled"], waitingSince: stalledAt, stalledSince: stalledAt + 21 * day });

    const bad = path.join(seed.home, "..", "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(lines[0])}\n{"title":"no capability","state":"open","createdAt":1}\n`);
    const refused = cli("work", "import", bad);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/bad\.jsonl:2: capability/);
  }, 60_000);
});
