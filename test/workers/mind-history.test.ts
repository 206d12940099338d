// Issue 10's company history (test/support/company-history.ts), imported in 1, 6 and 34 batches
// and in two parts: the first cycle after the import flags exactly `payroll` (stalled), `backups`
// (stalled) and `ingest` (failing), with their dates; `archive` is flagged `missed` once an hourly
// expectation is declared; `reports` and `support` are not flagged; no flag appears (and none
// recovers) while an import is still open.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Mind } from "../../durable/mind/mind.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import { importRow } from "../../lib/mind/import-rows.ts";
import { ImportLine, type CoherenceReport, type Subsystem, type Task } from "../../lib/mind/wire.ts";
import { batches, companyHistory, expectedFlags, HISTORY_LINES } from "../support/company-history.ts";
import { asRoot, bindings, call, newAgent } from "../support/worker-fetch.ts";
import { alarmAt, coherence, DAY, fireAlarm, HOUR, mindStub, ok, setClock, status, T0 } from "./mind-support.ts";

const flagsOf = (r: CoherenceReport) => r.flagged.map((s) => ({ kind: s.kind, name: s.name, flags: s.flags, stalledSince: s.stalledSince, waitingSince: s.waitingSince, failingSince: s.failingSince, missedSince: s.missedSince }));
const find = (r: CoherenceReport, name: string) => r.subsystems.find((s) => s.kind === "capability" && s.name === name)!;

let oneBatch: ReturnType<typeof flagsOf> | null = null;

/** Lines as the import route hands them to the Mind: validated, then rows. */
const rowsOf = (lines: unknown[]) => lines.map((l, i) => importRow(ImportLine.parse(l), () => `t_line${i}`));

/** A Mind of its own (a fresh ledger) driven over RPC at the clock T0. */
async function freshMind(name: string) {
  const stub = bindings.MIND.get(bindings.MIND.idFromName(name));
  await runInDurableObject(stub, (m: Mind) => {
    m.clock.now = () => T0;
  });
  return stub;
}

describe("a company's history", () => {
  it("in one batch through the route: the first cycle flags exactly payroll and backups (stalled) and ingest (failing), with both dates", async () => {
    await setClock(T0);
    const watcher = await newAgent("history-watch");
    await ok(await call("PUT", "/v1/bus/subscriptions/history-alerts", { key: watcher.token, body: { topic: "seed.alerts", startAt: "latest" } }), 201);
    const lines = companyHistory(T0);
    const r = await ok<{ imported: number; skipped: number; open: boolean }>(await asRoot("POST", "/v1/owner/mind/import", { tasks: lines }), 201);
    expect(r).toMatchObject({ imported: HISTORY_LINES, skipped: 0, open: false });
    expect(await alarmAt()).toBe(T0);
    expect(await fireAlarm()).toBe(true);
    expect((await status()).cycles).toBe(1);

    const report = await coherence();
    const e = expectedFlags(T0);
    // Oldest flag first.
    expect(flagsOf(report)).toEqual([
      { kind: "capability", name: "payroll", flags: ["stalled"], stalledSince: e.payroll.stalledSince, waitingSince: e.payroll.waitingSince, failingSince: null, missedSince: null },
      { kind: "capability", name: "ingest", flags: ["failing"], stalledSince: null, waitingSince: null, failingSince: e.ingest.failingSince, missedSince: null },
      { kind: "capability", name: "backups", flags: ["stalled"], stalledSince: e.backups.stalledSince, waitingSince: e.backups.waitingSince, failingSince: null, missedSince: null },
    ]);
    oneBatch = flagsOf(report);
    expect(find(report, "payroll")).toMatchObject({ open: 2, lastDoneAt: e.payroll.lastDoneAt, pace: { ms: 7 * DAY, basis: "learned", intervals: 25, confidence: "high" }, stallThresholdMs: 21 * DAY });
    expect(find(report, "ingest")).toMatchObject({ outcomes: { window: { done: 0, failed: 12, ratio: 0 } } });
    // `support` fails 1 in 20: not failing; `reports` has two completions: no pace learned from them.
    expect(find(report, "support")).toMatchObject({ flags: [], failing: false, outcomes: { window: { failed: 5 } } });
    expect(find(report, "reports")).toMatchObject({ flags: [], pace: { ms: null, basis: "default", intervals: 1, confidence: "low" } });
    // Never `flow` while something is stalled or failing; C counts the imported failures.
    expect(report.pulse).toMatchObject({ signal: "ok", regime: "stall", flagged: { stalled: 2, failing: 1, missed: 0 } });
    expect(report.pulse.C!).toBeLessThan(1);

    // Someone is told: one alert per flag, no `recovered`.
    const got = await ok<{ messages: Delivered[] }>(await call("POST", "/v1/bus/subscriptions/history-alerts/pull", { key: watcher.token, body: { max: 100 } }));
    expect(got.messages.map((m) => `${(m.body as { type: string }).type} ${(m.body as { subsystem: { name: string } }).subsystem.name}`).sort()).toEqual(["subsystem.failing ingest", "subsystem.stalled backups", "subsystem.stalled payroll"]);

    // At rest with three flags and three open alerts: the alarm points at a real due time (the
    // first reminder in an hour, or the moment `source:ops` would cross its threshold), and an
    // alarm run before it does nothing.
    const rows = await runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.sql.exec<{ key: string; due_at: number }>("SELECT key, due_at FROM schedule ORDER BY due_at").toArray());
    expect(rows.every((r) => r.due_at > T0)).toBe(true);
    expect(rows.find((r) => r.key === "alert-remind")?.due_at).toBe(T0 + HOUR);
    // (A live agent from another test file may hold payroll work: its own check is an agent row.)
    expect(rows.filter((r) => r.key.startsWith("check:") && !r.key.startsWith("check:agent:")).map((r) => r.key)).toEqual(["check:source:ops"]);
    expect(await alarmAt()).toBe(rows[0]!.due_at);
    await fireAlarm();
    expect((await status()).cycles).toBe(1);
  }, 60_000);

  it("archive is flagged missed once an hourly expectation is declared; a new reports task is not stalled 4 h later", async () => {
    await ok(await asRoot("PUT", "/v1/owner/mind/expectations/archive", { everyMs: HOUR }), 201);
    await fireAlarm();
    const e = expectedFlags(T0);
    const archive = find(await coherence(), "archive");
    expect(archive).toMatchObject({ flags: ["missed"], missed: true, missedSince: e.archive.missedSinceHourly, lastDoneAt: e.archive.lastDoneAt, expectation: { everyMs: HOUR, graceMs: 30 * 60_000, expectedBy: e.archive.lastDoneAt + HOUR } });
    // The declared pace is used for its stall threshold too.
    expect(archive.pace).toMatchObject({ ms: HOUR, basis: "declared" });

    const task = await ok<Task>(await asRoot("POST", "/v1/work", { title: "quarterly report", capability: "reports" }), 201);
    await setClock(T0 + 4 * HOUR);
    await fireAlarm();
    const reports = find(await coherence(), "reports");
    expect(reports).toMatchObject({ flags: [], open: 1, waitingSince: task.createdAt, stalled: false });
  });

  for (const n of [6, 34]) {
    it(`in ${n} batches (one import): the same flags, and nothing is evaluated before the last batch`, async () => {
      const stub = await freshMind(`history-${n}`);
      const parts = batches(companyHistory(T0), n);
      for (const [i, part] of parts.entries()) {
        const last = i === parts.length - 1;
        const r = await stub.importTasks(rowsOf(part), "company", last);
        expect(r.open).toBe(!last);
        // No cycle now: the only thing due is the open import's quiet limit, 10 minutes out.
        if (!last) expect(await runInDurableObject(stub, (_m: Mind, ctx) => ctx.storage.getAlarm())).toBe(T0 + 10 * 60_000);
      }
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const report = await stub.coherenceReport(DAY);
      expect(flagsOf(report)).toEqual(oneBatch);
      expect((await stub.status()).cycles).toBe(1);
      const alerts = await stub.listAlerts(100);
      expect(alerts.alerts.map((a) => a.key).sort()).toEqual(["failing:capability:ingest", "stalled:capability:backups", "stalled:capability:payroll"]);
    }, 60_000);
  }

  it("in two parts with live work between them: no flag (and no recovery) while the import is open, then exactly the same flags", async () => {
    const stub = await freshMind("history-two-parts");
    const [first, second] = batches(companyHistory(T0), 2);
    expect((await stub.importTasks(rowsOf(first), "onboarding", false)).open).toBe(true);
    // Live work arrives meanwhile and the mind runs a cycle for it: the imported half is held back.
    await stub.createTask({ kind: "root", keyId: "owner" }, { title: "live", capability: "live-work" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const mid = await stub.coherenceReport(DAY);
    expect(mid.flagged).toEqual([]);
    expect((await stub.status()).openImports).toBe(1);
    expect((await stub.importTasks(rowsOf(second), "onboarding", true)).open).toBe(false);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(flagsOf(await stub.coherenceReport(DAY))).toEqual(oneBatch);
    const alerts = await stub.listAlerts(100);
    expect(alerts.alerts.every((a) => a.closedAt === null)).toBe(true);
    expect(alerts.alerts).toHaveLength(3);
  }, 60_000);

  it("an import left open (the importer died) is finished by the mind once it has been quiet for 10 minutes", async () => {
    const stub = await freshMind("history-abandoned");
    const [first] = batches(companyHistory(T0), 2);
    await stub.importTasks(rowsOf(first), "crashed", false);
    const due = await runInDurableObject(stub, (_m: Mind, ctx) => ctx.storage.getAlarm());
    expect(due).toBe(T0 + 10 * 60_000);
    await runInDurableObject(stub, (m: Mind) => {
      m.clock.now = () => T0 + 10 * 60_000;
    });
    await runDurableObjectAlarm(stub);
    expect((await stub.status()).openImports).toBe(0);
    // The import's subsystems were released and a cycle evaluates them next.
    await runDurableObjectAlarm(stub);
    expect((await stub.coherenceReport(DAY)).subsystems.map((s: Subsystem) => s.name)).toContain("payroll");
  }, 60_000);
});
