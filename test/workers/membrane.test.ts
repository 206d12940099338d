import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import { openDb } from "../../lib/db/client.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, expectError, newAgent } from "../support/worker-fetch.ts";

type KeyInfo = { id: string; kind: string; name: string; scopes: string[]; state: string; expiresAt: number | null; revokedAt: number | null };

const ALL_SCOPES = ["status:read", "coherence:read", "work:read", "work:write", "bus:publish:*", "bus:read:*", "memory:read", "audit:read"];

describe("membrane: granting helper keys", () => {
  it("mints a helper key shown once: the list never carries the token, its secret or its hash", async () => {
    const h = await grantHelper(["status:read", "bus:read:orders.*"], { name: "provider support" });
    expect(h.token).toMatch(new RegExp(`^seed_helper_${h.id}_[a-f0-9]{64}$`));
    expect(h.scopes).toEqual(["status:read", "bus:read:orders.*"]);
    expect(h.expiresAt).toBeNull();
    const list = await asRoot("GET", "/v1/owner/membrane");
    const text = await list.text();
    const listed = (JSON.parse(text) as { helpers: KeyInfo[] }).helpers.find((k) => k.id === h.id)!;
    expect(listed).toMatchObject({ id: h.id, kind: "helper", name: "provider support", state: "live", scopes: h.scopes });
    expect(text).not.toContain(h.token.split("_")[3]);
    expect(text).not.toContain("secretHash");
    const all = await (await asRoot("GET", "/v1/owner/keys?kind=helper")).text();
    expect(all).toContain(h.id);
    expect(all).not.toContain(h.token.split("_")[3]);
    expect(all).not.toContain("secretHash");
  });

  it("a ttl sets the expiry; an expired key is 401 on its next request", async () => {
    const before = Date.now();
    const h = await grantHelper(["status:read"], { ttl: "2h" });
    expect(h.expiresAt! - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 5_000);
    expect(h.expiresAt! - before).toBeLessThanOrEqual(2 * 3_600_000 + 5_000);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    // Time passes: the row says it expired a millisecond ago (and the key cache, which holds the
    // row with its expiry, is told, as it would see the clock pass it).
    await openDb(bindings).update(keys).set({ expiresAt: Date.now() - 1 }).where(eq(keys.id, h.id));
    forgetKeys([h.id]);
    await expectError(await call("GET", "/v1/status", { key: h.token }), 401, "unauthorized");
    const expired = (await (await asRoot("GET", "/v1/owner/membrane?state=expired")).json()) as { helpers: KeyInfo[] };
    expect(expired.helpers.find((k) => k.id === h.id)?.state).toBe("expired");
  });

  it("rejects what is not a helper scope, a bad lifetime, bad names and bad bodies", async () => {
    for (const body of [
      { name: "x", scopes: ["keys:write"] },
      { name: "x", scopes: ["*"] },
      { name: "x", scopes: ["credentials:read"] },
      { name: "x", scopes: ["handoff"] },
      { name: "x", scopes: ["mind:mode"] },
      { name: "x", scopes: ["bus:publish:"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["status:read"], ttl: "forever" },
      { name: "x", scopes: ["status:read"], ttl: "30s" },
      { name: "x", scopes: ["status:read"], ttl: "400d" },
      { name: "", scopes: ["status:read"] },
      { scopes: ["status:read"] },
      [1, 2],
    ]) {
      await expectError(await asRoot("POST", "/v1/owner/membrane", body), 422, "invalid_input");
    }
    const key = bindings.TEST_ROOT_KEY;
    await expectError(await call("POST", "/v1/owner/membrane", { key, raw: "{nope" }), 400, "invalid_json");
    await expectError(await call("POST", "/v1/owner/membrane", { key, raw: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }) }), 413);
    await expectError(await asRoot("GET", "/v1/owner/membrane?state=nope"), 422, "invalid_input");
  });

  it("no scope reaches an owner power: a helper holding every scope gets 403 on every owner route", async () => {
    const h = await grantHelper(ALL_SCOPES);
    const agent = await newAgent("victim");
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/owner/whoami"],
      ["GET", "/v1/owner/keys"],
      ["DELETE", `/v1/owner/keys/${agent.id}`],
      ["GET", "/v1/owner/membrane"],
      ["POST", "/v1/owner/membrane", { name: "escalate", scopes: ["status:read"] }],
      ["DELETE", `/v1/owner/membrane/${h.id}`],
      ["GET", "/v1/owner/handoff"],
      ["POST", "/v1/owner/handoff"],
      ["GET", "/v1/owner/audit"],
      ["GET", "/v1/owner/agents"],
      ["POST", "/v1/owner/agents", { name: "evil" }],
      ["DELETE", `/v1/owner/agents/${agent.id}`],
      ["GET", "/v1/owner/mind"],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, { key: h.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("wrong_key_kind");
    }
    // …and nothing happened: the agent still works, the helper is still the only one.
    expect((await call("GET", "/v1/bus/whoami", { key: agent.token })).status).toBe(200);
  });
});

describe("membrane: revoking", () => {
  it("after revoke returns, the very next request with the key is 401", async () => {
    const h = await grantHelper(["status:read"]);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    const del = await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ id: h.id, kind: "helper", state: "revoked" });
    await expectError(await call("GET", "/v1/status", { key: h.token }), 401, "unauthorized");
    const live = (await (await asRoot("GET", "/v1/owner/membrane")).json()) as { helpers: KeyInfo[] };
    expect(live.helpers.map((k) => k.id)).not.toContain(h.id);
    const revoked = (await (await asRoot("GET", "/v1/owner/membrane?state=revoked")).json()) as { helpers: KeyInfo[] };
    expect(revoked.helpers.find((k) => k.id === h.id)?.revokedAt).toBeGreaterThan(0);
    await expectError(await asRoot("DELETE", `/v1/owner/membrane/${h.id}`), 409, "already_revoked");
    await expectError(await asRoot("DELETE", "/v1/owner/membrane/zzzzzzzzzzzzzzzz"), 404, "key_not_found");
  });

  it("the membrane route revokes helper keys only; /v1/owner/keys revokes any kind", async () => {
    const agent = await newAgent("keep");
    await expectError(await asRoot("DELETE", `/v1/owner/membrane/${agent.id}`), 404, "key_not_found");
    expect((await call("GET", "/v1/bus/whoami", { key: agent.token })).status).toBe(200);

    const spare = await mintKey("root");
    await openDb(bindings).insert(keys).values({ id: spare.id, kind: "root", name: "spare", secretHash: spare.secretHash, createdAt: Date.now() });
    expect((await call("GET", "/v1/owner/whoami", { key: spare.token })).status).toBe(200);
    const del = await asRoot("DELETE", `/v1/owner/keys/${spare.id}`);
    expect(del.status).toBe(200);
    await expectError(await call("GET", "/v1/owner/whoami", { key: spare.token }), 401);
    await expectError(await asRoot("DELETE", `/v1/owner/keys/${spare.id}`), 409, "already_revoked");
    await expectError(await asRoot("DELETE", "/v1/owner/keys/zzzzzzzzzzzzzzzz"), 404, "key_not_found");
  });

  it("closes the key's open bus WebSockets when it is revoked", async () => {
    const h = await grantHelper(["bus:read:*"]);
    const res = await call("GET", "/v1/bus/connect", { headers: { Upgrade: "websocket", Authorization: `Bearer ${h.token}` } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const closed = new Promise<{ code: number; at: number }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, at: Date.now() })));
    const del = await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    const returnedAt = Date.now();
    expect(((await del.json()) as { disconnected: number }).disconnected).toBe(1);
    // A generous bound (a loaded 2-core machine), the measured time reported rather than asserted.
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 20_000));
    const first = await Promise.race([closed, timeout]);
    expect(first).not.toBe("timeout");
    expect((first as { code: number; at: number }).code).toBe(4001);
    console.log(JSON.stringify({ measured: "close event after the revoke returned", ms: (first as { code: number; at: number }).at - returnedAt }));
  });
});
