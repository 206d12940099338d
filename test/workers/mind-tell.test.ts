// Someone is told: a flag goes to `seed.alerts` and to the owner's notification webhook — a real
// loopback receiver behind the declared service ALERTS, which verifies the Standard Webhooks
// signature itself — deduplicated, reminded on a back-off while it lasts (real due times only),
// `recovered` once when it clears; a failing receiver is retried.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AlertInfo, Task } from "../../lib/mind/wire.ts";
import type { Received } from "../support/alert-receiver.ts";
import { asRoot, call, expectError, newAgent, unique } from "../support/worker-fetch.ts";
import { alarmAt, fireAlarm, HOUR, ok, scheduled, setClock, T0 } from "./mind-support.ts";

const MIN = 60_000;
const alerts = env as unknown as { ALERTS: Fetcher; TEST_ALERTS_SECRET: string };
const received = async () => (await (await alerts.ALERTS.fetch("http://alerts.test/received")).json()) as Received[];
const setFailing = async (on: boolean) => (await alerts.ALERTS.fetch("http://alerts.test/fail", { method: "POST", body: JSON.stringify({ on }) })).arrayBuffer();
const mine = (r: Received[], cap: string) => r.filter((x) => (x.body as { data?: { subsystem?: { name: string } } }).data?.subsystem?.name === cap);

describe("alerts", () => {
  it("a stall reaches the webhook once, signed; reminders back off while it lasts; recovery is said once", async () => {
    await setClock(T0);
    // Without a declared service name the configuration is refused; with one, the secret is never echoed.
    await expectError(await asRoot("PUT", "/v1/owner/mind/notify", { service: "alerts", url: "http://x.test/" }), 422, "invalid_input");
    const set = await ok<{ notify: { service: string; url: string }; secret?: string }>(
      await asRoot("PUT", "/v1/owner/mind/notify", { service: "ALERTS", url: "http://hooks.owner.test/seed/alerts", secret: alerts.TEST_ALERTS_SECRET }),
    );
    expect(set).toEqual({ notify: { service: "ALERTS", url: "http://hooks.owner.test/seed/alerts", createdAt: T0 } });
    expect(JSON.stringify(await ok(await asRoot("GET", "/v1/owner/mind/notify")))).not.toContain(alerts.TEST_ALERTS_SECRET.slice(6, 20));

    // A task that must be done within 10 minutes, and nobody to do it.
    const cap = unique("tell");
    const task = await ok<Task>(await asRoot("POST", "/v1/work", { title: "urgent", capability: cap, deadlineInMs: 10 * MIN }), 201);
    await fireAlarm();
    await setClock(T0 + 10 * MIN);
    await fireAlarm();
    expect((await ok<Task>(await asRoot("GET", `/v1/work/${task.id}`))).state).toBe("expired");

    let got = mine(await received(), cap);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ verified: true, answered: 204, host: "hooks.owner.test", path: "/seed/alerts" });
    expect(got[0]!.body).toMatchObject({ type: "subsystem.stalled", data: { type: "subsystem.stalled", subsystem: { kind: "capability", name: cap }, condition: "stalled", since: T0 + 10 * MIN, reason: "missed_deadline" } });
    expect(Number(got[0]!.timestamp)).toBe(Math.floor((T0 + 10 * MIN) / 1000));

    // Deduplicated: another cycle while it lasts sends nothing new.
    await asRoot("POST", "/v1/work", { title: "other", capability: unique("other") });
    await fireAlarm();
    expect(mine(await received(), cap)).toHaveLength(1);
    // The reminder is a schedule row at its real time (1 h), then 2 h later: no polling between.
    expect(await scheduled("alert-remind")).toBe(T0 + 10 * MIN + HOUR);
    await setClock(T0 + 10 * MIN + HOUR);
    await fireAlarm();
    got = mine(await received(), cap);
    expect(got).toHaveLength(2);
    expect(got[1]!.body).toMatchObject({ type: "subsystem.stalled", data: { reminder: 1 } });
    expect(got[1]!.id).not.toBe(got[0]!.id);
    expect(await scheduled("alert-remind")).toBe(T0 + 10 * MIN + 3 * HOUR);

    // Progress clears it: one `recovered`, no more reminders.
    const agent = await newAgent("tell-fixer", [cap]);
    await asRoot("POST", "/v1/work", { title: "again", capability: cap });
    await setClock(T0 + 2 * HOUR);
    await fireAlarm();
    const t2 = (await ok<{ tasks: Task[] }>(await asRoot("GET", `/v1/work?capability=${cap}&state=dispatched`))).tasks[0]!;
    await ok(await call("POST", `/v1/work/${t2.id}/claim`, { key: agent.token }));
    await ok(await call("POST", `/v1/work/${t2.id}/complete`, { key: agent.token }));
    await fireAlarm();
    got = mine(await received(), cap);
    expect(got.map((g) => (g.body as { type: string }).type)).toEqual(["subsystem.stalled", "subsystem.stalled", "subsystem.recovered"]);
    expect(got.every((g) => g.verified)).toBe(true);
    const list = await ok<{ alerts: AlertInfo[] }>(await asRoot("GET", "/v1/owner/mind/alerts"));
    expect(list.alerts.find((a) => a.subsystem?.name === cap)).toMatchObject({ condition: "stalled", closedAt: T0 + 2 * HOUR, sends: 2, nextReminderAt: null });
    expect(await scheduled("alert-remind")).toBeNull();
  });

  it("a receiver that fails is retried with back-off until it takes the message", async () => {
    await setClock(T0 + 10 * HOUR);
    await setFailing(true);
    const cap = unique("retry");
    await asRoot("POST", "/v1/work", { title: "urgent", capability: cap, deadlineInMs: MIN });
    await fireAlarm();
    await setClock(T0 + 10 * HOUR + MIN);
    await fireAlarm();
    // The receiver refused; every message of that round waits for the retry, one minute later.
    expect((await received()).filter((r) => r.answered === 500).length).toBeGreaterThan(0);
    expect(await scheduled("alert-retry")).toBe(T0 + 10 * HOUR + 2 * MIN);
    const pending = await ok<{ undelivered: { id: string; type: string; attempts: number; hook: string; bus: boolean; lastError: string }[] }>(await asRoot("GET", "/v1/owner/mind/alerts"));
    expect(pending.undelivered.length).toBeGreaterThan(0);
    for (const u of pending.undelivered) {
      expect(u).toMatchObject({ attempts: 1, hook: "pending", bus: true });
      expect(u.lastError).toMatch(/^webhook: (HTTP 500|not tried: an earlier delivery failed \(HTTP 500\))$/);
    }
    const ids = pending.undelivered.map((u) => u.id);
    await setFailing(false);
    await setClock(T0 + 10 * HOUR + 2 * MIN);
    await fireAlarm();
    const got = mine(await received(), cap).filter((r) => r.answered === 204);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toMatchObject({ type: "subsystem.stalled" });
    expect(ids).toContain(got[0]!.id); // the same delivery, retried: receivers can deduplicate on webhook-id
    expect((await ok<{ undelivered: unknown[] }>(await asRoot("GET", "/v1/owner/mind/alerts"))).undelivered).toEqual([]);
  });

  it("a generated secret is shown once; removing the webhook stops deliveries to it", async () => {
    const r = await ok<{ secret: string }>(await asRoot("PUT", "/v1/owner/mind/notify", { service: "ALERTS", url: "http://hooks.owner.test/x" }));
    expect(r.secret).toMatch(/^whsec_/);
    expect(JSON.stringify(await ok(await asRoot("GET", "/v1/owner/mind/notify")))).not.toContain(r.secret);
    await ok(await asRoot("DELETE", "/v1/owner/mind/notify"));
    expect(await ok(await asRoot("GET", "/v1/owner/mind/notify"))).toEqual({ notify: null });
  });
});
