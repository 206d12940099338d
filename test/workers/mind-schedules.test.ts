// Recurring work and check-ins. A schedule makes its task on time from the mind's one alarm, costs
// no cycle between runs, and after an outage catches up once (one task for the missed runs) with
// the next run on time. Check-ins (start/success/fail) are runs in the ledger, scoped by name.
import { describe, expect, it } from "vitest";
import type { ScheduleInfo, Subsystem, Task } from "../../lib/mind/wire.ts";
import { asRoot, call, expectError } from "../support/worker-fetch.ts";
import { alarmAt, coherence, DAY, fireAlarm, HOUR, ok, scheduled, setClock, status, T0 } from "./mind-support.ts";

const MIN = 60_000;
// T0 is 2100-01-15 12:00 UTC, a Friday.
const at9 = (day: number) => Date.UTC(2100, 0, day, 9);

describe("schedules", () => {
  it("runs on time from the one alarm, no cycle between runs, one catch-up after an outage, then on time again", async () => {
    await setClock(T0);
    await expectError(await asRoot("PUT", "/v1/owner/mind/schedules/daily-report", { cron: "0 9 * * * *", capability: "reporting", title: "x" }), 422, "invalid_input");
    await expectError(await asRoot("PUT", "/v1/owner/mind/schedules/daily-report", { cron: "0 9 * * *", tz: "Mars/Base", capability: "reporting", title: "x" }), 422, "invalid_input");
    const s = await ok<ScheduleInfo>(await asRoot("PUT", "/v1/owner/mind/schedules/daily-report", { cron: "0 9 * * *", capability: "reporting", title: "daily report", payload: { format: "pdf" } }), 201);
    expect(s).toMatchObject({ name: "daily-report", tz: "UTC", nextAt: at9(16), runs: 0 });
    expect(await scheduled("cron:daily-report")).toBe(at9(16));
    expect(await alarmAt()).toBe(at9(16));

    // Between runs nothing is due: an alarm fired early runs no cycle.
    const before = (await status()).cycles;
    await setClock(at9(16) - 1);
    expect(await fireAlarm()).toBe(true);
    expect((await status()).cycles).toBe(before);

    await setClock(at9(16));
    await fireAlarm();
    let tasks = (await ok<{ tasks: Task[] }>(await asRoot("GET", "/v1/work?capability=reporting"))).tasks;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ title: "daily report", source: "schedule:daily-report", origin: "schedule", createdAt: at9(16), payload: { schedule: "daily-report", scheduledFor: at9(16), payload: { format: "pdf" } } });
    expect(await scheduled("cron:daily-report")).toBe(at9(17));

    // Down from before the 17th's run until after the 19th's: one task stands for the 3 runs.
    await setClock(at9(19) + 2 * HOUR);
    await fireAlarm();
    tasks = (await ok<{ tasks: Task[] }>(await asRoot("GET", "/v1/work?capability=reporting"))).tasks;
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toMatchObject({ payload: { scheduledFor: at9(19), missedRuns: 2 } });
    const history = (await ok<{ history: { note: string | null }[] }>(await asRoot("GET", `/v1/work/${tasks[0]!.id}`))).history;
    expect(history[0]!.note).toMatch(/^caught up: 3 runs from 2100-01-17T09:00:00.000Z to 2100-01-19T09:00:00.000Z/);
    // The next run is on time.
    expect(await scheduled("cron:daily-report")).toBe(at9(20));
    const list = await ok<{ schedules: ScheduleInfo[] }>(await asRoot("GET", "/v1/owner/mind/schedules"));
    expect(list.schedules).toEqual([expect.objectContaining({ name: "daily-report", runs: 2, missedRuns: 2, lastRunAt: at9(19) + 2 * HOUR, nextAt: at9(20) })]);

    await ok(await asRoot("DELETE", "/v1/owner/mind/schedules/daily-report"));
    expect(await scheduled("cron:daily-report")).toBeNull();
    await expectError(await asRoot("DELETE", "/v1/owner/mind/schedules/daily-report"), 404, "schedule_not_found");
  });
});

describe("check-ins", () => {
  it("start and success pair into one run; success alone is a run; only keys that may check in under the name can", async () => {
    const t = T0 + 20 * DAY;
    await setClock(t);
    const grant = async (scopes: string[]) => (await ok<{ token: string }>(await asRoot("POST", "/v1/owner/membrane", { name: `ci-${scopes.join("-").replace(/[^a-z]/g, "")}`, scopes }), 201)).token;
    const backupKey = await grant(["checkins:write:backup-*"]);
    const otherKey = await grant(["work:read"]);
    await expectError(await call("POST", "/v1/checkins/backup-db"), 401);
    await expectError(await call("POST", "/v1/checkins/payroll", { key: backupKey }), 403, "missing_scope");
    await expectError(await call("POST", "/v1/checkins/backup-db", { key: otherKey }), 403, "missing_scope");
    // The key is checked first (a helper learns nothing about names it may not use), then the name.
    await expectError(await call("POST", "/v1/checkins/Bad%20Name", { key: backupKey }), 403, "missing_scope");
    await expectError(await asRoot("POST", "/v1/checkins/Bad%20Name"), 422, "invalid_input");
    await expectError(await call("POST", "/v1/checkins/backup-db", { key: backupKey, body: { state: "done" } }), 422, "invalid_input");

    const start = await ok<{ run: string; state: string }>(await call("POST", "/v1/checkins/backup-db", { key: backupKey, body: { state: "start" } }), 201);
    await setClock(t + 5 * MIN);
    const done = await ok<{ run: string }>(await call("POST", "/v1/checkins/backup-db", { key: backupKey, body: { state: "success", run: start.run } }));
    expect(done.run).toBe(start.run);
    const task = await ok<Task & { history: { state: string }[] }>(await asRoot("GET", `/v1/work/${start.run}`));
    expect(task).toMatchObject({ capability: "backup-db", origin: "checkin", state: "done", source: expect.stringMatching(/^helper:/), createdAt: t, finishedAt: t + 5 * MIN });
    expect(task.history.map((h) => h.state)).toEqual(["open", "claimed", "done"]);
    await expectError(await call("POST", "/v1/checkins/backup-db", { key: backupKey, body: { state: "fail", run: start.run } }), 409, "illegal_transition");
    // An empty body is a success.
    await setClock(t + DAY);
    expect((await ok<{ state: string }>(await call("POST", "/v1/checkins/backup-db", { key: backupKey }))).state).toBe("success");
  });

  it("an expected check-in that does not come is missed; failures that dominate are failing; a success clears both", async () => {
    const t = T0 + 30 * DAY;
    await setClock(t);
    await ok(await asRoot("PUT", "/v1/owner/mind/expectations/nightly-sync", { everyMs: DAY, graceMs: HOUR }), 201);
    await ok(await asRoot("POST", "/v1/checkins/nightly-sync", {}));
    await fireAlarm();
    // The next check is one expectation later: a schedule row, not a poll.
    expect(await scheduled("check:capability:nightly-sync")).toBe(t + DAY + HOUR + 1);
    await setClock(t + DAY + HOUR + 1);
    await fireAlarm();
    const sub = (r: { subsystems: Subsystem[] }) => r.subsystems.find((s) => s.kind === "capability" && s.name === "nightly-sync")!;
    expect(sub(await coherence())).toMatchObject({ flags: ["missed"], missedSince: t + DAY + HOUR, expectation: { everyMs: DAY, graceMs: HOUR, expectedBy: t + DAY } });
    for (let i = 0; i < 3; i++) await ok(await asRoot("POST", "/v1/checkins/nightly-sync", { state: "fail", note: "exit 2" }));
    await fireAlarm();
    // Failures are not completions: still missed, and now failing too.
    expect(sub(await coherence()).flags).toEqual(["failing", "missed"]);
    await ok(await asRoot("POST", "/v1/checkins/nightly-sync", {}));
    for (let i = 0; i < 3; i++) await ok(await asRoot("POST", "/v1/checkins/nightly-sync", {}));
    await fireAlarm();
    expect(sub(await coherence())).toMatchObject({ flags: [], lastDoneAt: t + DAY + HOUR + 1 });
  });
});
