import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { createExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { chainEntries, hashRecord } from "../../lib/audit/audit-chain.ts";
import { insertRecords, readHead } from "../../lib/audit/audit-store.ts";
import { PendingRows } from "../../lib/audit/pending-rows.ts";
import { verifyCheckpoint, type Checkpoint } from "../../lib/audit/checkpoint.ts";
import { importVerifyKey } from "../../lib/audit/ed25519.ts";
import type { VerifyReport } from "../../lib/audit/verify-chain.ts";
import { app } from "../../workers/app.ts";
import { openDb } from "../../lib/db/client.ts";
import { mintKey } from "../../lib/keys.ts";
import { auditOf, callFrom, freshAddress, grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, expectError } from "../support/worker-fetch.ts";

const rootKeyId = () => bindings.TEST_ROOT_KEY.split("_")[2]!;
const ledger = () => bindings.AUDIT.get(bindings.AUDIT.idFromName("ledger"));

/** Each row's hash covers what was read back, and the whole ledger verifies clean. */
async function expectIntact(rows: AuditRecord[]): Promise<VerifyReport> {
  for (const r of rows) {
    const { hash, ...rest } = r;
    expect(await hashRecord(rest)).toBe(hash);
  }
  const report = (await (await asRoot("GET", "/v1/owner/audit/verify")).json()) as VerifyReport;
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  return report;
}

describe("audit ledger: helper requests", () => {
  it("records every helper request — key id, route, scope used, status, time — whether it succeeded or not", async () => {
    const h = await grantHelper(["status:read", "work:read"]);
    const t0 = Date.now();
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    expect((await call("GET", "/v1/audit", { key: h.token })).status).toBe(403); // lacks audit:read
    expect((await call("GET", "/v1/owner/keys", { key: h.token })).status).toBe(403); // owner route
    expect((await call("GET", "/v1/nothing-here", { key: h.token })).status).toBe(404);
    await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(401);

    const rows = (await auditOf(h.id)).filter((r) => r.action === "request");
    expect(rows.map((r) => [r.method, r.route, r.scope, r.status])).toEqual([
      ["GET", "/v1/status", "status:read", 200],
      ["GET", "/v1/audit", "audit:read", 403],
      ["GET", "/v1/owner/keys", null, 403],
      ["GET", "/v1/nothing-here", null, 404],
      ["GET", "/v1/status", null, 401],
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ actor: "helper", keyId: h.id });
      expect(r.at).toBeGreaterThanOrEqual(t0);
      expect(r.at).toBeLessThanOrEqual(Date.now());
    }
  });

  it("a made-up helper token writes no row in the name of the key id it claims, on a route that checks no key either", async () => {
    const before = ((await (await asRoot("GET", "/v1/owner/audit?limit=1")).json()) as { head: { seq: number } }).head.seq;
    const address = freshAddress();
    const ids = new Set<string>();
    for (let i = 0; i < 70; i++) {
      const k = await mintKey("helper");
      ids.add(k.id);
      const res = await callFrom(address, "GET", "/healthz", { key: k.token });
      expect(res.status).toBe(200); // the public answer stands
    }
    const rows = ((await (await asRoot("GET", `/v1/owner/audit?after=${before}&limit=1000`)).json()) as { rows: AuditRecord[] }).rows;
    expect(rows.filter((r) => r.keyId && ids.has(r.keyId))).toEqual([]);
    // The failures are summed per address (membrane-rate-limit.test.ts) once the window closes.
    await runDurableObjectAlarm(ledger());
    const summary = ((await (await asRoot("GET", `/v1/owner/audit?after=${before}&action=auth.failures&limit=1000`)).json()) as { rows: AuditRecord[] }).rows.filter((r) => r.detail!.includes(`"${address}"`));
    expect(summary).toHaveLength(1);
    expect(JSON.parse(summary[0]!.detail!)).toMatchObject({ failed: 70, moreKeyIds: 62 });
  });

  it("a revoked or expired helper key's own holder is still written in its name (the secret was right)", async () => {
    const h = await grantHelper(["status:read"]);
    await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    expect((await callFrom(freshAddress(), "GET", "/healthz", { key: h.token })).status).toBe(200);
    expect((await callFrom(freshAddress(), "GET", "/v1/status", { key: h.token })).status).toBe(401);
    const rows = (await auditOf(h.id)).filter((r) => r.action === "request");
    expect(rows.map((r) => [r.route, r.status, r.detail])).toEqual([
      ["/healthz", 200, '{"key":"revoked"}'],
      ["/v1/status", 401, '{"key":"revoked"}'],
    ]);
  });

  it("hashes byte for byte what is stored and read back: NUL, lone surrogates, 64 KiB values (issue 9 item 2)", async () => {
    const h = await grantHelper(["status:read"]);
    const big = "x".repeat(64 * 1024);
    const { first, last } = await ledger().append([
      { at: Date.now(), actor: "helper", keyId: h.id, action: "request", method: "GET", route: "/healthz\u0000x", scope: null, status: 200, detail: null },
      { at: Date.now(), actor: "helper", keyId: h.id, action: "request", method: "GET", route: "/a\uD800b\uDC00", scope: null, status: 200, detail: '{"v":"\uDBFF"}' },
      { at: Date.now(), actor: "helper", keyId: h.id, action: "request", method: "GET", route: `/${big}`, scope: null, status: 200, detail: JSON.stringify({ big }) },
    ]);
    // A real helper key on a path with an encoded NUL: answered, and its row is what was hashed.
    expect((await call("GET", "/v1/status%00x", { key: h.token })).status).toBe(404);
    // A forged helper-shaped token on a public path with a NUL: nothing in the claimed id's name.
    const forged = await mintKey("helper");
    expect((await callFrom(freshAddress(), "GET", "/healthz%00x", { key: forged.token })).status).toBe(404);
    expect(await auditOf(forged.id)).toEqual([]);

    const rows = (await auditOf(h.id)).filter((r) => r.seq >= first);
    expect(rows.slice(0, 3).map((r) => r.seq)).toEqual([first, first + 1, last]);
    expect(rows.map((r) => r.route)).toEqual(["/healthz\uFFFDx", "/a\uFFFDb\uFFFD", `/${big}`, "/v1/status\uFFFDx"]);
    expect(rows[1]!.detail).toBe('{"v":"\uFFFD"}');
    expect(rows[2]!.detail).toBe(JSON.stringify({ big }));
    await expectIntact(rows);
  });

  it("records the owner's membrane actions: grant and revoke, by the root key", async () => {
    const h = await grantHelper(["status:read"], { name: "recorded" });
    await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    const res = await asRoot("GET", `/v1/owner/audit?keyId=${rootKeyId()}&limit=1000`);
    const rows = ((await res.json()) as { rows: AuditRecord[] }).rows.filter((r) => r.detail?.includes(h.id));
    expect(rows.map((r) => r.action)).toEqual(["membrane.grant", "membrane.revoke"]);
    expect(JSON.parse(rows[0]!.detail!)).toMatchObject({ id: h.id, name: "recorded", scopes: ["status:read"], expiresAt: null });
    expect(rows.every((r) => r.actor === "root" && r.keyId === rootKeyId())).toBe(true);
  });

  it("owner and agent requests are not request rows (only helpers are)", async () => {
    await asRoot("GET", "/v1/status");
    const rows = await auditOf(rootKeyId());
    expect(rows.some((r) => r.action === "request")).toBe(false);
  });

  it("keeps one unbroken chain under concurrent helper requests (group commit)", async () => {
    const h = await grantHelper(["status:read"]);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => call("GET", "/v1/status", { key: h.token }).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const rows = (await auditOf(h.id)).filter((r) => r.action === "request");
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(40);
    const report = await expectIntact(rows);
    expect(report.rows).toBeGreaterThanOrEqual(40);
  });

  it("a helper with audit:read reads the ledger at /v1/audit; the owner too", async () => {
    const h = await grantHelper(["audit:read"]);
    const res = await call("GET", "/v1/audit?limit=5", { key: h.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: AuditRecord[]; head: { seq: number } };
    expect(body.rows.length).toBeGreaterThan(0);
    expect(body.head.seq).toBeGreaterThanOrEqual(body.rows.at(-1)!.seq);
    expect((await asRoot("GET", "/v1/audit/checkpoints")).status).toBe(200);
    await expectError(await asRoot("GET", "/v1/owner/audit?limit=0"), 422, "invalid_input");
    await expectError(await asRoot("GET", "/v1/owner/audit?keyId=NOT-AN-ID"), 422, "invalid_input");
  });
});

describe("audit ledger: append-only, checkpoints", () => {
  it("no route changes or removes a row, and the database itself refuses to", async () => {
    for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
      expect((await call(method, "/v1/owner/audit", { key: bindings.TEST_ROOT_KEY, body: {} })).status, method).toBe(404);
      expect((await call(method, "/v1/owner/audit/1", { key: bindings.TEST_ROOT_KEY, body: {} })).status, method).toBe(404);
    }
    await grantHelper(["status:read"]); // at least one row exists
    const db = openDb(bindings);
    await expect(db.run(sql`update audit_log set status = 200 where seq = 1`)).rejects.toThrow();
    await expect(db.run(sql`delete from audit_log where seq = 1`)).rejects.toThrow();
  });

  it("signs a checkpoint on its alarm: head hash and count, verified by the seed's public key", async () => {
    await grantHelper(["status:read"]); // a row after the last checkpoint
    expect(await runDurableObjectAlarm(ledger())).toBe(true);
    const head = await ledger().head();
    const { checkpoints } = (await (await asRoot("GET", "/v1/owner/audit/checkpoints")).json()) as { checkpoints: Checkpoint[] };
    const cp = checkpoints.at(-1)!;
    expect(cp.seq).toBe(head.seq);
    expect(cp.headHash).toBe(head.hash);
    expect(cp.reason).toBe("periodic");
    const id = (await (await call("GET", "/v1/identity")).json()) as { seedId: string; publicKey: string };
    const key = await importVerifyKey(id.publicKey);
    expect(await verifyCheckpoint(key, id.seedId, cp)).toBe(true);
    expect(await verifyCheckpoint(key, id.seedId, { ...cp, seq: cp.seq - 1 })).toBe(false);
    expect(await verifyCheckpoint(key, "seed-someoneelse", cp)).toBe(false);
    // Checkpoints are as immutable as the rows.
    const db = openDb(bindings);
    await expect(db.run(sql`update audit_checkpoints set reason = 'x' where seq = ${cp.seq}`)).rejects.toThrow();
    await expect(db.run(sql`delete from audit_checkpoints where seq = ${cp.seq}`)).rejects.toThrow();
  });

  it("a second writer on the same database: the ledger re-chains after its rows instead of failing", async () => {
    const h = await grantHelper(["status:read"]);
    const db = openDb(bindings);
    // Another writer appends a correctly chained row behind the ledger object's back.
    const [foreign] = await chainEntries(await readHead(db), [{ at: Date.now(), actor: "seed", keyId: null, action: "test.second-writer", method: null, route: null, scope: null, status: null, detail: null }]);
    await insertRecords(db, [foreign!]);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    const rows = (await auditOf(h.id)).filter((r) => r.action === "request");
    expect(rows.at(-1)!.seq).toBeGreaterThan(foreign!.seq);
    const report = (await (await asRoot("GET", "/v1/owner/audit/verify")).json()) as VerifyReport;
    expect(report.problems).toEqual([]);
  });

  it("a crash after the copy to libSQL and before the object forgot its rows: the next copy skips them, no duplicate", async () => {
    const h = await grantHelper(["status:read"]);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    const copied = (await auditOf(h.id)).filter((r) => r.action === "request"); // in libSQL already
    expect(copied).toHaveLength(1);
    // The object still holds it as pending, as if it had died before deleting it.
    await runInDurableObject(ledger(), (_i, state) => new PendingRows(state.storage.sql).add(copied));
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    const rows = (await auditOf(h.id)).filter((r) => r.action === "request");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(copied[0]);
    await expectIntact(rows);
    expect(await runInDurableObject(ledger(), (_i, state) => new PendingRows(state.storage.sql).read(10))).toEqual([]);
  });

  it("fails a helper request closed (503) when the ledger cannot record it", async () => {
    const h = await grantHelper(["status:read"]);
    const broken = { ...bindings, AUDIT: { idFromName: () => ({}), get: () => ({ append: () => Promise.reject(new Error("ledger down")) }) } };
    const req = new Request("http://seed.test/v1/status", { headers: { Authorization: `Bearer ${h.token}` } });
    await expectError(await app.fetch(req, broken, createExecutionContext()), 503, "audit_unavailable");
    // …and granting a key that cannot be audited leaves no live key behind.
    const grant = new Request("http://seed.test/v1/owner/membrane", {
      method: "POST",
      headers: { Authorization: `Bearer ${bindings.TEST_ROOT_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "unaudited", scopes: ["status:read"] }),
    });
    await expectError(await app.fetch(grant, broken, createExecutionContext()), 503, "audit_unavailable");
    const live = (await (await asRoot("GET", "/v1/owner/membrane")).json()) as { helpers: { name: string }[] };
    expect(live.helpers.map((k) => k.name)).not.toContain("unaudited");
  });
});
