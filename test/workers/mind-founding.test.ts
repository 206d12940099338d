// The founding scenario (seed-post.txt): on its very first cycle, the mind flags a work subsystem
// that silently stalled a month before the seed was installed — and nothing else.
import { describe, expect, it } from "vitest";
import type { ImportLine, Task } from "../../lib/mind/wire.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import { asRoot, call, newAgent } from "../support/worker-fetch.ts";
import { coherence, DAY, fireAlarm, HOUR, alarmAt, ok, scheduled, setClock, status, T0 } from "./mind-support.ts";

type Line = Omit<ImportLine, "createdAt" | "finishedAt" | "progressAt" | "deadline"> & { createdAt: number | string; finishedAt?: number; progressAt?: number };

/** `invoices` completed daily until exactly 30 days ago and has had open work since then. */
const STALLED_AT = T0 - 30 * DAY;

function history(): Line[] {
  const lines: Line[] = [];
  // invoices: 90 days of daily work, each done 3 h after it came in, the last one done at STALLED_AT;
  // then from that moment on, a new invoice every day that nobody picks up.
  for (let k = 89; k >= 0; k--) {
    const finishedAt = STALLED_AT - k * DAY;
    lines.push({ id: `inv-done-${k}`, title: `invoice batch ${k}`, capability: "invoices", source: "erp", state: "done", assignee: "billing-bot", createdAt: finishedAt - 3 * HOUR, finishedAt });
  }
  for (let k = 0; k < 30; k++) {
    lines.push({ id: `inv-open-${k}`, title: `invoice batch +${k}`, capability: "invoices", source: "erp", state: "open", createdAt: new Date(STALLED_AT + k * DAY).toISOString() });
  }
  // payroll: healthy, daily to this morning, one item waiting since an hour ago.
  for (let k = 119; k >= 0; k--) {
    lines.push({ id: `pay-${k}`, title: `payroll ${k}`, capability: "payroll", source: "erp", state: "done", assignee: "pay-bot", createdAt: T0 - k * DAY - 5 * HOUR, finishedAt: T0 - k * DAY - 4 * HOUR });
  }
  lines.push({ id: "pay-open", title: "payroll today", capability: "payroll", source: "erp", state: "open", createdAt: T0 - HOUR });
  // shipping: every 6 hours from another source; one in the hands of its agent right now.
  for (let k = 400; k >= 1; k--) {
    lines.push({ id: `ship-${k}`, title: `shipment ${k}`, capability: "shipping", source: "warehouse", state: k % 50 === 0 ? "failed" : "done", assignee: "ship-bot", createdAt: T0 - k * 6 * HOUR - HOUR, finishedAt: T0 - k * 6 * HOUR, ...(k % 50 === 0 ? { reason: "carrier down" } : {}) });
  }
  lines.push({ id: "ship-now", title: "shipment now", capability: "shipping", source: "warehouse", state: "claimed", assignee: "ship-bot", createdAt: T0 - HOUR, progressAt: T0 - 30 * 60_000 });
  // archive: weekly, finished two months ago, nothing waiting: idle is not stalled.
  for (let k = 20; k >= 9; k--) {
    lines.push({ id: `arc-${k}`, title: `archive ${k}`, capability: "archive", source: "erp", state: "done", assignee: "archivist", createdAt: T0 - k * 7 * DAY - HOUR, finishedAt: T0 - k * 7 * DAY });
  }
  return lines;
}

describe("the founding scenario", () => {
  it("imports a history and its first cycle flags `invoices` as stalled since that date, and nothing else", async () => {
    await setClock(T0);
    // Someone watching the alerts topic, as the owner's tooling would.
    const watcher = await newAgent("alert-watcher");
    await ok(await call("PUT", "/v1/bus/subscriptions/alerts", { key: watcher.token, body: { topic: "seed.alerts", startAt: "earliest" } }), 201);

    // An agent is already on duty when the seed starts: open work goes to it, but being handed
    // work is not progress, so it does not hide the stall.
    const nightShift = await newAgent("night-shift", ["invoices", "payroll"]);

    const before = await status();
    expect(before.cycles).toBe(0);
    expect(await alarmAt()).toBeNull();

    const lines = history();
    const imported = await ok<{ imported: number; skipped: number }>(await asRoot("POST", "/v1/owner/mind/import", { tasks: lines }), 201);
    expect(imported).toMatchObject({ imported: lines.length, skipped: 0, open: false });
    // The import woke the mind: its alarm points at now.
    expect(await alarmAt()).toBe(T0);

    expect(await fireAlarm()).toBe(true);

    const s = await status();
    expect(s.cycles).toBe(1);
    expect(s.lastCycle).toMatchObject({ id: 1, ok: true, trigger: ["wake"], did: { dispatched: 31, waiting: 0 } });

    const report = await coherence();
    // Both dates: the work has waited since the day it stopped; it counts as stalled from the moment
    // it crossed its threshold (3 × its learned daily pace).
    expect(report.stalled).toHaveLength(1);
    expect(report.stalled[0]).toMatchObject({
      kind: "capability",
      name: "invoices",
      flags: ["stalled"],
      open: 30,
      waitingSince: STALLED_AT,
      lastProgressAt: STALLED_AT,
      lastDoneAt: STALLED_AT,
      pace: { ms: DAY, basis: "learned", confidence: "high" },
      stalled: true,
      stalledSince: STALLED_AT + 3 * DAY,
      stallReason: "no_progress",
      stallThresholdMs: 3 * DAY,
      failing: false,
      missed: false,
    });
    expect(report.flagged.map((x) => `${x.kind}:${x.name}`)).toEqual(["capability:invoices"]);
    // Every other subsystem was looked at and is not flagged, including the idle one and the
    // source that `invoices` shares with the healthy `payroll`.
    const names = report.subsystems.map((x) => `${x.kind}:${x.name}`);
    const fromHistory = ["agent:archivist", "agent:billing-bot", "agent:pay-bot", "agent:ship-bot", "capability:archive", "capability:invoices", "capability:payroll", "capability:shipping", "source:erp", "source:warehouse"];
    expect(names).toEqual(expect.arrayContaining(fromHistory));
    // The agent registry is shared by every Worker test file: a live agent with one of these
    // capabilities may have been handed open work by this cycle; it shows up, unflagged.
    expect(names.filter((x) => !fromHistory.includes(x)).every((x) => x.startsWith("agent:"))).toBe(true);
    expect(report.subsystems.filter((x) => x.stalled).map((x) => x.name)).toEqual(["invoices"]);
    expect(report.subsystems.find((x) => x.name === "erp")).toMatchObject({ open: 31, stalled: false });
    expect(report.subsystems.find((x) => x.kind === "agent" && x.name === nightShift.id)).toMatchObject({ stalled: false, lastProgressAt: null });
    expect(report.subsystems.find((x) => x.name === "ship-bot")).toMatchObject({ kind: "agent", open: 1, stalled: false, pace: { ms: 6 * HOUR, basis: "learned" } });
    // The pulse: real outcomes in the last 24 h, so a signal; most of the work waiting is invoices;
    // never `flow` while a subsystem is stalled.
    expect(report.pulse.signal).toBe("ok");
    expect(report.pulse.regime).toBe("stall");
    expect(report.pulse.flagged).toEqual({ stalled: 1, failing: 0, missed: 0 });
    expect(report.pulse.backlog).toBe(32);
    expect(report.pulse.window.done).toBeGreaterThan(0);

    // Observe mode published exactly one alert for it, to seed.alerts.
    const pulled = await ok<{ messages: Delivered[] }>(await call("POST", "/v1/bus/subscriptions/alerts/pull", { key: watcher.token, body: { max: 100 } }));
    expect(pulled.messages.map((m) => m.body)).toEqual([
      expect.objectContaining({ type: "subsystem.stalled", mode: "observe", subsystem: { kind: "capability", name: "invoices" }, since: STALLED_AT + 3 * DAY, waitingSince: STALLED_AT, reason: "no_progress", open: 30 }),
    ]);
    expect(pulled.messages[0]!.from).toBe("mind");
  });

  it("importing the same history again changes nothing", async () => {
    const again = await ok<{ imported: number; skipped: number }>(await asRoot("POST", "/v1/owner/mind/import", { tasks: history() }), 201);
    expect(again.imported).toBe(0);
    expect(again.skipped).toBe(history().length);
    // A line repeated within one batch is written once; the report counts the repeat as skipped.
    const line = { ...history()[0]!, id: "twice-in-one-batch", capability: "dedupe-check" };
    const twice = await ok<{ imported: number; skipped: number }>(await asRoot("POST", "/v1/owner/mind/import", { tasks: [line, history()[1], line] }), 201);
    expect(twice).toMatchObject({ imported: 1, skipped: 2 });
    expect((await ok<Task>(await asRoot("GET", "/v1/work/twice-in-one-batch"))).title).toBe(line.title);
  });

  it("imported work in flight gets its lease on the mind's clock; lines without an id each become a task", async () => {
    // The Worker turns lines into rows; the lease is the Mind's to set, from its own (here driven) clock.
    await setClock(T0);
    const base = { capability: "lease-check", createdAt: T0 - HOUR };
    const r = await ok<{ imported: number; skipped: number }>(
      await asRoot("POST", "/v1/owner/mind/import", {
        tasks: [{ ...base, id: "in-flight-1", title: "held", state: "claimed", assignee: "bot-1", progressAt: T0 - 1000 }, { ...base, title: "no id", state: "open" }, { ...base, title: "no id", state: "open" }],
      }),
      201,
    );
    expect(r).toMatchObject({ imported: 3, skipped: 0 });
    expect(await scheduled("lease:in-flight-1")).toBe(T0 + 5 * 60_000);
    const held = await ok<Task>(await asRoot("GET", "/v1/work/in-flight-1"));
    expect(held).toMatchObject({ state: "claimed", assignee: "bot-1" });
    const open = await ok<{ tasks: Task[] }>(await asRoot("GET", "/v1/work?capability=lease-check&state=open"));
    expect(open.tasks).toHaveLength(2);
    expect(new Set(open.tasks.map((t) => t.id)).size).toBe(2);
  });

  it("refuses a bad history line with 422 naming the line", async () => {
    const res = await asRoot("POST", "/v1/owner/mind/import", { tasks: [history()[0], { title: "x", capability: "invoices", state: "done", createdAt: T0 }] });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^body\.tasks\.1\.finishedAt: /);
    // A payload too big for one stored value is refused with the line named, before anything is written.
    const big = await asRoot("POST", "/v1/owner/mind/import", { tasks: [{ ...history()[0], id: "huge-1" }, { ...history()[0], id: "huge-2", payload: "x".repeat(300 * 1024) }] });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toBe("body.tasks.1.payload: larger than 256 KiB");
    expect((await asRoot("GET", "/v1/work/huge-1")).status).toBe(404);
  });
});
