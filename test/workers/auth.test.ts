import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import { app } from "../../workers/app.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { openDb } from "../../lib/db/client.ts";

const bindings = env as Env & { TEST_ROOT_KEY: string };

// The Worker's real default export, as workerd calls it.
const worker = (exports as unknown as { default: Fetcher }).default;

function get(path: string, headers: Record<string, string> = {}) {
  return worker.fetch(new Request(`http://seed.test${path}`, { headers }));
}

async function expectError(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe("string");
  if (code) expect(body.error.code).toBe(code);
}

describe("health", () => {
  it("healthz answers without auth", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it("readyz checks libSQL and both Durable Objects", async () => {
    const res = await get("/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { libsql: "ok", bus: "ok", mind: "ok" } });
  });

  it("readyz is 503 and names libSQL when the database is unreachable", async () => {
    const down = { ...bindings, LIBSQL: { fetch: () => Promise.reject(new Error("connection refused")) } };
    const res = await app.fetch(new Request("http://seed.test/readyz"), down, createExecutionContext());
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string }; checks: Record<string, string> };
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toContain("libsql");
    expect(body.checks.bus).toBe("ok");
  });

  it("readyz without a key names only the part that is not ready: no SQL text, no driver message (issue 9 item 9)", async () => {
    const sqlText = "SQLITE_ERROR: no such table: keyz in SELECT secret_hash FROM keyz WHERE id = ?";
    const hranaError = () => new Response(JSON.stringify({ message: sqlText, code: "SQLITE_ERROR" }), { status: 400, headers: { "Content-Type": "application/json" } });
    for (const fetch of [() => Promise.reject(new Error(sqlText)), () => Promise.resolve(hranaError())]) {
      const down = { ...bindings, LIBSQL: { fetch } };
      const res = await app.fetch(new Request("http://seed.test/readyz"), down, createExecutionContext());
      expect(res.status).toBe(503);
      const text = await res.text();
      for (const leak of ["SELECT", "secret_hash", "keyz", "SQLITE"]) expect(text).not.toContain(leak);
      expect(JSON.parse(text)).toMatchObject({ error: { code: "not_ready" }, checks: { libsql: expect.any(String) } });
    }
  });
});

describe("owner authentication", () => {
  it("whoami returns the seed id and key id for the installer root key", async () => {
    const res = await get("/v1/owner/whoami", { Authorization: `Bearer ${bindings.TEST_ROOT_KEY}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { seedId: string; keyId: string; kind: string };
    expect(body.seedId).toMatch(/^seed-[a-z2-7]{26}$/);
    expect(body.keyId).toBe(bindings.TEST_ROOT_KEY.split("_")[2]);
    expect(body.kind).toBe("root");
  });

  it("missing header is 401", async () => {
    await expectError(await get("/v1/owner/whoami"), 401, "unauthorized");
  });

  it("malformed header is 400", async () => {
    await expectError(await get("/v1/owner/whoami", { Authorization: "Basic abc" }), 400, "malformed_authorization");
    await expectError(await get("/v1/owner/whoami", { Authorization: "Bearer" }), 400, "malformed_authorization");
    await expectError(await get("/v1/owner/whoami", { Authorization: "Bearer a b" }), 400, "malformed_authorization");
  });

  it("a token that is not a seed key is 401", async () => {
    await expectError(await get("/v1/owner/whoami", { Authorization: "Bearer not-a-key" }), 401);
  });

  it("the right id with a wrong secret is 401", async () => {
    const [prefix, kind, id] = bindings.TEST_ROOT_KEY.split("_");
    const wrong = `${prefix}_${kind}_${id}_${"0".repeat(64)}`;
    await expectError(await get("/v1/owner/whoami", { Authorization: `Bearer ${wrong}` }), 401);
  });

  it("a revoked root key is 401 on the very next request", async () => {
    const db = openDb(bindings);
    const k = await mintKey("root");
    await db.insert(keys).values({ id: k.id, kind: "root", name: "spare", secretHash: k.secretHash, createdAt: Date.now() });
    expect((await get("/v1/owner/whoami", { Authorization: `Bearer ${k.token}` })).status).toBe(200);
    // As revokeKeys() does: the commit, then the key cache forgets the key (workers/auth/key-cache.ts).
    await db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, k.id));
    forgetKeys([k.id]);
    await expectError(await get("/v1/owner/whoami", { Authorization: `Bearer ${k.token}` }), 401);
  });

  it("an expired key is 401", async () => {
    const db = openDb(bindings);
    const k = await mintKey("root");
    await db.insert(keys).values({ id: k.id, kind: "root", name: "old", secretHash: k.secretHash, createdAt: 1, expiresAt: Date.now() - 1 });
    await expectError(await get("/v1/owner/whoami", { Authorization: `Bearer ${k.token}` }), 401);
  });

  it("an agent key on an owner route is 403", async () => {
    const db = openDb(bindings);
    const k = await mintKey("agent");
    await db.insert(keys).values({ id: k.id, kind: "agent", name: "a1", secretHash: k.secretHash, createdAt: Date.now() });
    await expectError(await get("/v1/owner/whoami", { Authorization: `Bearer ${k.token}` }), 403, "wrong_key_kind");
  });

  it("libSQL unreachable fails closed with 503, never a pass", async () => {
    // A key this isolate has not verified yet (one it has stays proven: no revoke can commit while
    // libSQL is down).
    const db = openDb(bindings);
    const k = await mintKey("root");
    await db.insert(keys).values({ id: k.id, kind: "root", name: "unseen", secretHash: k.secretHash, createdAt: Date.now() });
    const down = { ...bindings, LIBSQL: { fetch: () => Promise.reject(new Error("connection refused")) } };
    const req = new Request("http://seed.test/v1/owner/whoami", { headers: { Authorization: `Bearer ${k.token}` } });
    const res = await app.fetch(req, down, createExecutionContext());
    await expectError(res, 503, "key_store_unavailable");
  });
});

describe("errors", () => {
  it("an unknown route is a JSON 404", async () => {
    await expectError(await get("/nope"), 404, "not_found");
  });
});

describe("durable objects", () => {
  it("Bus and Mind answer a typed RPC ping", async () => {
    const bus = await bindings.BUS.get(bindings.BUS.idFromName("bus")).ping();
    const mind = await bindings.MIND.get(bindings.MIND.idFromName("mind")).ping();
    expect(bus.object).toBe("bus");
    expect(mind.object).toBe("mind");
  });
});
