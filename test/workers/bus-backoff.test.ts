// The README's redelivery promise, on the Bus's driven clock: a lease not acked by its deadline is
// redelivered after the deadline plus a backoff of 1 s, 2 s, 4 s … up to 60 s — not a millisecond
// before, and at that moment. Issue 16: a linear backoff passed every bus test.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import type { Delivered } from "../../lib/bus/wire.ts";
import { bindings, call, newAgent, unique, type TestAgent } from "../support/worker-fetch.ts";

const busStub = () => bindings.BUS.get(bindings.BUS.idFromName("bus"));

async function setClock(ms: number): Promise<void> {
  await runInDurableObject(busStub(), (bus: Bus) => {
    bus.clock.now = () => ms;
  });
}

async function pull(a: TestAgent, name: string): Promise<Delivered[]> {
  const res = await call("POST", `/v1/bus/subscriptions/${name}/pull`, { key: a.token, body: {} });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { messages: Delivered[] }).messages;
}

describe("redelivery backoff (driven clock)", () => {
  it("waits the deadline plus 1 s, 2 s, 4 s, 8 s, 16 s, 32 s, then 60 s and stays at 60 s", async () => {
    const a = await newAgent("backoff");
    const topic = unique("backoff");
    const sub = unique("s");
    const deadline = 1_000;
    let now = 1_900_000_000_000;
    await setClock(now);
    try {
      const put = await call("PUT", `/v1/bus/subscriptions/${sub}`, { key: a.token, body: { topic, ackDeadlineMs: deadline, maxDeliveries: 12 } });
      expect(put.status).toBe(201);
      expect((await call("POST", `/v1/bus/topics/${topic}/messages`, { key: a.token, body: { body: "never acked" } })).status).toBe(201);
      const [first] = await pull(a, sub);
      expect(first!.deliveryAttempt).toBe(1);
      const waits = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000];
      const seen: number[] = [];
      for (const [i, wait] of waits.entries()) {
        const due = now + deadline + wait;
        await setClock(due - 1);
        expect(await pull(a, sub), `attempt ${i + 2} must not come 1 ms before its due time`).toEqual([]);
        await setClock(due);
        const [m] = await pull(a, sub);
        expect(m, `attempt ${i + 2} at deadline + ${wait} ms`).toMatchObject({ seq: first!.seq, deliveryAttempt: i + 2 });
        seen.push(due - now - deadline);
        now = due;
      }
      expect(seen).toEqual(waits);
    } finally {
      await runInDurableObject(busStub(), (bus: Bus) => {
        bus.clock.now = () => Date.now();
      });
    }
  });
});
