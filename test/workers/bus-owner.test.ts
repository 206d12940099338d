// Issue 9 item 11: subscriptions made with the installer's root key answered 403
// `not_your_subscription` to the new owner key after the handoff, on pull and on DELETE, forever.
// What root made belongs to whoever holds root. And a seed from before versioned migrations
// keeps its subscriptions, leases and inboxes when its Bus schema moves forward.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bus } from "../../durable/bus/bus.ts";
import { BUS_MIGRATIONS } from "../../durable/bus/bus-migrations.ts";
import type { BusCaller, Delivered } from "../../lib/bus/wire.ts";
import { migrate, schemaVersion } from "../../lib/do-migrations.ts";
import { bindings } from "../support/worker-fetch.ts";

/** The value of a Bus result (as RPC hands it over), or the test fails with its error code. */
function ok<R extends { ok: boolean }>(r: R): Extract<R, { ok: true }> extends { value: infer V } ? V : never {
  if (!r.ok) throw new Error((r as unknown as { error: { code: string } }).error.code);
  return (r as unknown as { value: never }).value;
}
const root = (keyId: string): BusCaller => ({ keyId, kind: "root", scopes: [] });
const agent = (keyId: string): BusCaller => ({ keyId, kind: "agent", scopes: [] });

describe("what root made belongs to whoever holds root", () => {
  it("after the installer's root key is revoked (the handoff), the owner's key pulls and deletes its subscriptions", async () => {
    const bus = bindings.BUS.get(bindings.BUS.idFromName("owner handoff"));
    const installer = root("installerroot001");
    const owner = root("ownerrootkey0001");
    ok(await bus.putSubscription(installer, "mx-bar", { topic: "orders", startAt: "earliest" }));
    ok(await bus.publish(installer, "orders", [{ body: "before the handoff" }]));
    expect((await bus.revokeKeys([{ id: installer.keyId, kind: "root" }])).closed).toBe(0);
    expect((ok(await bus.pull(owner, "mx-bar", 10, 0)) as Delivered[]).map((m) => m.body)).toEqual(["before the handoff"]);
    expect(ok(await bus.listSubscriptions(owner)).map((s) => s.name)).toEqual(["mx-bar"]);
    ok(await bus.deleteSubscription(owner, "mx-bar"));
    expect(ok(await bus.listSubscriptions(owner))).toEqual([]);
    // The installer's key itself is refused by the Bus from then on.
    const r = await bus.pull(installer, "mx-bar", 10, 0);
    expect(r.ok ? "accepted" : r.error.code).toBe("key_revoked");
  });
});

describe("the Bus schema moves forward on an existing seed", () => {
  it("version 1 data (names global, inboxes `inbox:<id>`, root's rows under its key id) survives the migration", async () => {
    const stub = bindings.BUS.get(bindings.BUS.idFromName("migration from v1"));
    const ackId = await runInDurableObject(stub, (bus: Bus, state: DurableObjectState) => {
      const sql = state.storage.sql;
      // Rebuild the object's storage as a seed from before versioning had it.
      for (const t of ["deliveries", "subscriptions", "revoked_keys", "inbox_watchers", "bus_counters", "schema_version", "messages", "topics", "idempotency_keys"]) sql.exec(`DROP TABLE IF EXISTS ${t}`);
      for (const stmt of BUS_MIGRATIONS[0]!.up as string[]) sql.exec(stmt);
      const t = 1_800_000_000_000;
      sql.exec("INSERT INTO topics (name, last_seq) VALUES ('jobs', 2), ('inbox.agentkey00000001', 1)");
      sql.exec("INSERT INTO messages (topic, seq, id, sender, body, headers, published_at) VALUES ('jobs', 1, 'm1', 'x', '1', NULL, ?), ('jobs', 2, 'm2', 'x', '2', NULL, ?), ('inbox.agentkey00000001', 1, 'm3', 'x', '\"hi\"', NULL, ?)", t, t, t);
      const sub = "INSERT INTO subscriptions (name, owner, topic, ack_deadline_ms, max_deliveries, next_seq, created_at) VALUES (?, ?, ?, 30000, 5, ?, ?)";
      sql.exec(sub, "jobs-worker", "agentkey00000001", "jobs", 3, t);
      sql.exec(sub, "inbox:agentkey00000001", "agentkey00000001", "inbox.agentkey00000001", 2, t);
      sql.exec(sub, "mx-bar", "installerroot002", "jobs", 3, t);
      const lease = "1.1.legacy01";
      sql.exec("INSERT INTO deliveries (sub, seq, attempts, visible_at, ack_id) VALUES ('jobs-worker', 1, 1, ?, ?), ('jobs-worker', 2, 1, ?, NULL), ('inbox:agentkey00000001', 1, 1, ?, 'x')", 4_000_000_000_000, lease, t, t);
      expect(schemaVersion(sql)).toBe(0);
      expect(migrate(state.storage, BUS_MIGRATIONS)).toEqual([1, 2, 3]);
      expect(schemaVersion(sql)).toBe(3);
      // Version 3: the delivered/acked totals for GET /metrics start at 0.
      expect(sql.exec("SELECT name, n FROM bus_counters ORDER BY name").toArray()).toEqual([{ name: "acked", n: 0 }, { name: "delivered", n: 0 }]);
      return lease;
    });
    // The agent's subscription kept its leases: the old ack id still acks, the nacked one is due.
    const a = agent("agentkey00000001");
    expect(ok(await stub.ack(a, "jobs-worker", [ackId]))).toEqual([{ ackId, result: "acked" }]);
    await runInDurableObject(stub, (bus: Bus) => {
      bus.clock.now = () => 1_800_000_100_000;
    });
    expect((ok(await stub.pull(a, "jobs-worker", 10, 0)) as Delivered[]).map((m) => m.seq)).toEqual([2]);
    // The inbox is the agent's `inbox` now, with its unacked message due again.
    expect((ok(await stub.pull(a, "inbox", 10, 0)) as Delivered[]).map((m) => m.body)).toEqual(["hi"]);
    // Root's old subscription (under its key id) is root's as soon as that key calls.
    expect(ok(await stub.listSubscriptions(root("installerroot002"))).map((s) => s.name)).toEqual(["mx-bar"]);
    expect(ok(await stub.listSubscriptions(root("ownerrootkey0002"))).map((s) => s.name)).toEqual(["mx-bar"]);
    // A second construction finds the schema current and changes nothing.
    expect(await runInDurableObject(stub, (_bus: Bus, state: DurableObjectState) => migrate(state.storage, BUS_MIGRATIONS))).toEqual([]);
  });
});
