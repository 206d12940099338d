// Issue 9 item 12: a resting seed spun. Subscribe with ackDeadlineMs 1000, publish, pull, never
// ack: the Bus then re-armed its alarm in the past forever (~23% CPU, ~470 fsyncs/s), because the
// next due time included leases already past that no alarm would ever take. Must hold: in every
// awkward state the Bus reaches rest — no alarm armed, nothing written — after at most the wake-ups
// that do real work (a socket's redeliveries, an age-limited topic's sweep).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import type { BusCaller, Delivered } from "../../lib/bus/wire.ts";
import { socketOf } from "../support/bus-socket.ts";
import { bindings } from "../support/worker-fetch.ts";

const T0 = 1_990_000_000_000;
const agent = (id: string): BusCaller => ({ keyId: id, kind: "agent", scopes: [] });
/** The value of a Bus result (as RPC hands it over), or the test fails with its error code. */
function ok<R extends { ok: boolean }>(r: R): Extract<R, { ok: true }> extends { value: infer V } ? V : never {
  if (!r.ok) throw new Error((r as unknown as { error: { code: string } }).error.code);
  return (r as unknown as { value: never }).value;
}

/** A Bus object of its own per state, with a driven clock. */
function restingBus(state: string) {
  const stub = bindings.BUS.get(bindings.BUS.idFromName(`resting ${state}`));
  let now = T0;
  const setClock = (ms: number) =>
    runInDurableObject(stub, (bus: Bus) => {
      now = ms;
      bus.clock.now = () => ms;
    });
  const alarmAt = () => runInDurableObject(stub, (_bus: Bus, state: DurableObjectState) => state.storage.getAlarm());
  return {
    stub,
    setClock,
    later: (ms: number) => setClock(now + ms),
    /**
     * Lets time pass as the alarm asks (the clock moves to each alarm's time, as it would), up
     * to `limit` alarms; returns how many ran. A Bus that re-arms without end hits the limit.
     */
    async rest(limit = 20): Promise<number> {
      let ran = 0;
      for (; ran < limit; ran++) {
        const at = await alarmAt();
        if (at === null) break;
        await setClock(Math.max(now, at));
        await runDurableObjectAlarm(stub);
      }
      return ran;
    },
    alarmAt,
  };
}

type Rest = ReturnType<typeof restingBus>;

/** Each awkward state, and how many alarms may run before rest (each one doing real work). */
const STATES: { name: string; wakeups: number; make: (b: Rest) => Promise<void> }[] = [
  {
    name: "an expired lease on a pull subscription (the issue's reproduction)",
    wakeups: 0,
    make: async ({ stub, later }) => {
      ok(await stub.putSubscription(agent("a1"), "jobs", { topic: "jobs", ackDeadlineMs: 1000 }));
      ok(await stub.publish(agent("a1"), "jobs", [{ body: 1 }]));
      expect(ok(await stub.pull(agent("a1"), "jobs", 10, 0)) as Delivered[]).toHaveLength(1);
      await later(60_000);
    },
  },
  {
    name: "an unacked inbox",
    wakeups: 0,
    make: async ({ stub, later }) => {
      ok(await stub.sendToInbox("a1", "a2", { body: "hello" }));
      expect(ok(await stub.pull(agent("a2"), "inbox", 10, 0)) as Delivered[]).toHaveLength(1);
      await later(3_600_000);
    },
  },
  {
    name: "dead letters",
    wakeups: 0,
    make: async ({ stub, later }) => {
      ok(await stub.putSubscription(agent("a1"), "once", { topic: "fragile", ackDeadlineMs: 100, maxDeliveries: 1 }));
      ok(await stub.publish(agent("a1"), "fragile", [{ body: 1 }]));
      ok(await stub.pull(agent("a1"), "once", 10, 0));
      await later(5_000);
      expect(ok(await stub.pull(agent("a1"), "once", 10, 0)) as Delivered[]).toEqual([]); // moved to fragile.dead
      expect(ok(await stub.stats(agent("a1"), "once")).deadLetters).toBe(1);
      await later(60_000);
    },
  },
  {
    name: "pending retries: a nack with a delay, and a redelivery backing off",
    wakeups: 0,
    make: async ({ stub, later }) => {
      ok(await stub.putSubscription(agent("a1"), "retry", { topic: "retries", ackDeadlineMs: 1000, maxDeliveries: 10 }));
      ok(await stub.publish(agent("a1"), "retries", [{ body: "nacked" }, { body: "backing off" }]));
      const [first, second] = ok(await stub.pull(agent("a1"), "retry", 10, 0)) as Delivered[];
      ok(await stub.nack(agent("a1"), "retry", [first!.ackId], 600_000));
      await later(2_500); // the second's lease ended; pulled again it backs off
      expect((ok(await stub.pull(agent("a1"), "retry", 10, 0)) as Delivered[]).map((m) => m.ackId)).not.toContain(second!.ackId);
      await later(3_600_000);
    },
  },
  {
    name: "a long-poll that gave up while a lease was out",
    wakeups: 0, // the alarm pointed at the lease while the poll waited, and is taken back after it
    make: async ({ stub, later }) => {
      ok(await stub.putSubscription(agent("a1"), "poll", { topic: "polled", ackDeadlineMs: 1000 }));
      ok(await stub.publish(agent("a1"), "polled", [{ body: 1 }]));
      ok(await stub.pull(agent("a1"), "poll", 1, 0));
      ok(await stub.pull(agent("a1"), "poll", 1, 10)); // waits 10 ms (real time) for nothing
      await later(60_000);
    },
  },
  {
    name: "a socket that follows a subscription and never acks",
    wakeups: 3, // one redelivery per lease that ends, until maxDeliveries sends it to the dead letters
    make: async ({ stub }) => {
      ok(await stub.putSubscription(agent("a1"), "pushed", { topic: "pushes", ackDeadlineMs: 1000, maxDeliveries: 3 }));
      const res = await stub.fetch(new Request("http://bus/connect", { headers: { Upgrade: "websocket", "x-seed-caller": JSON.stringify(agent("a1")) } }));
      const s = socketOf(res);
      s.send({ type: "subscribe", subscription: "pushed", window: 1 });
      await s.next("subscribed");
      ok(await stub.publish(agent("a1"), "pushes", [{ body: "never acked" }]));
      await s.next("messages");
    },
  },
  {
    name: "an age-limited topic",
    wakeups: 1, // the sweep that drops the message
    make: async ({ stub }) => {
      ok(await stub.putTopic(agent("a1"), "aging", { maxAgeMs: 1000 }));
      ok(await stub.publish(agent("a1"), "aging", [{ body: 1 }]));
    },
  },
];

describe("a resting bus makes no wake-ups and no writes, in every state", () => {
  for (const state of STATES) {
    it(state.name, async () => {
      const b = restingBus(state.name);
      await b.setClock(T0);
      await state.make(b);
      const ran = await b.rest();
      expect(ran).toBe(state.wakeups);
      // At rest: no alarm armed, and time passing changes nothing.
      const before = await b.stub.activity();
      expect(await b.alarmAt()).toBeNull();
      await b.later(24 * 3_600_000);
      expect(await runDurableObjectAlarm(b.stub)).toBe(false);
      expect(await b.stub.activity()).toEqual(before);
    });
  }
});
