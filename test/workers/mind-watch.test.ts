// The watcher is watched: a due alarm that did not fire, an alarm that is not armed while work is
// due, and cycles that keep failing make /readyz (503, mind not ready), GET /v1/mind and the
// coherence report say the mind is late, and by how much.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { liveIo } from "../../durable/mind/mind-io.ts";
import type { Mind } from "../../durable/mind/mind.ts";
import { asRoot, call, unique } from "../support/worker-fetch.ts";
import { coherence, fireAlarm, mindStub, ok, setClock, status, T0 } from "./mind-support.ts";

const MIN = 60_000;
const readyz = async () => {
  const res = await call("GET", "/readyz");
  return { status: res.status, body: (await res.json()) as { checks: { mind: string } } };
};

describe("the watcher is watched", () => {
  it("an alarm that did not fire when work was due: late, by how much, until it runs", async () => {
    await setClock(T0);
    expect((await readyz()).status).toBe(200);
    await ok(await asRoot("POST", "/v1/work", { title: "soon", capability: unique("nobody"), deadlineInMs: MIN }), 201);
    await fireAlarm();
    // Nothing ran the alarm at T0 + 1 min; it is now T0 + 5 min.
    await setClock(T0 + 5 * MIN);
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks.mind).toBe("late by 4m (alarm_late)");
    expect((await status()).watch).toMatchObject({ late: true, reason: "alarm_late", lateByMs: 4 * MIN, dueAt: T0 + MIN });
    expect((await coherence()).watch).toMatchObject({ late: true, reason: "alarm_late", lateByMs: 4 * MIN });
    // /metrics reads the same through the Mind's metrics() (numbers only, no write).
    expect(await mindStub().metrics()).toMatchObject({ lateByMs: 4 * MIN, cycles: 1, stalled: 0, failing: 0, missed: 0 });
    await fireAlarm();
    expect((await status()).watch).toMatchObject({ late: false, reason: null });
    expect((await readyz()).status).toBe(200);
  });

  it("an alarm that never re-armed while work is due", async () => {
    await setClock(T0 + 10 * MIN);
    await ok(await asRoot("POST", "/v1/work", { title: "later", capability: unique("nobody"), deadlineInMs: 30 * MIN }), 201);
    await fireAlarm();
    await runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.deleteAlarm());
    expect((await status()).watch).toMatchObject({ late: true, reason: "alarm_not_armed", alarmAt: null });
    expect((await readyz()).body.checks.mind).toMatch(/\(alarm_not_armed\)$/);
    // Any write re-arms it.
    await ok(await asRoot("POST", "/v1/work", { title: "poke", capability: unique("nobody") }), 201);
    expect((await status()).watch.late).toBe(false);
  });

  it("cycles that keep failing: late from the first failure", async () => {
    const t = T0 + DAY_MS;
    await setClock(t);
    await runInDurableObject(mindStub(), (m: Mind) => {
      m.io = { ...m.io, listAgents: async () => Promise.reject(new Error("registry down")) };
    });
    await ok(await asRoot("POST", "/v1/work", { title: "needs agents", capability: unique("fragile") }), 201);
    for (const at of [t, t + 1000, t + 3000]) {
      await setClock(at);
      await fireAlarm();
    }
    await setClock(t + 5000);
    expect((await status()).watch).toMatchObject({ late: true, reason: "cycles_failing", failedCycles: 3, lateByMs: 5000 });
    expect((await readyz()).status).toBe(503);
    await runInDurableObject(mindStub(), (m: Mind) => {
      m.io = liveIo(env);
    });
    await setClock(t + 7000);
    await fireAlarm();
    expect((await status()).watch).toMatchObject({ late: false, failedCycles: 0 });
  });
});

const DAY_MS = 86_400_000;
