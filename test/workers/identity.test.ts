import { describe, expect, it } from "vitest";
import { importVerifyKey, signText, importSigningKey, verifyText, publicKeyPem } from "../../lib/audit/ed25519.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, expectError } from "../support/worker-fetch.ts";

type Identity = { seedId: string; algorithm: string; publicKey: string; publicKeyPem: string; createdAt: number };

describe("GET /v1/identity", () => {
  it("is public and names the seed, its Ed25519 public key and when it was created", async () => {
    const res = await call("GET", "/v1/identity");
    expect(res.status).toBe(200);
    const id = (await res.json()) as Identity;
    expect(id.seedId).toMatch(/^seed-[a-z2-7]{26}$/);
    expect(id.algorithm).toBe("Ed25519");
    expect(Uint8Array.from(atob(id.publicKey), (c) => c.charCodeAt(0)).length).toBe(32);
    expect(id.publicKeyPem).toBe(publicKeyPem(id.publicKey));
    expect(id.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=]{60}\n-----END PUBLIC KEY-----\n$/);
    expect(id.createdAt).toBeGreaterThan(0);
    const who = (await (await asRoot("GET", "/v1/owner/whoami")).json()) as { seedId: string };
    expect(id.seedId).toBe(who.seedId);
  });

  it("its public key verifies what the seed's private key (SEED_IDENTITY_KEY) signs", async () => {
    const id = (await (await call("GET", "/v1/identity")).json()) as Identity;
    const sig = await signText(await importSigningKey(bindings.SEED_IDENTITY_KEY!), "hello");
    expect(await verifyText(await importVerifyKey(id.publicKey), "hello", sig)).toBe(true);
    expect(await verifyText(await importVerifyKey(id.publicKey), "hellO", sig)).toBe(false);
  });
});

describe("GET /v1/status", () => {
  it("answers the owner and a helper holding status:read, refuses other helpers and anonymous callers", async () => {
    const root = await asRoot("GET", "/v1/status");
    expect(root.status).toBe(200);
    expect(await root.json()).toMatchObject({ ok: true, checks: { libsql: "ok", bus: "ok", mind: "ok" } });
    const reader = await grantHelper(["status:read"]);
    expect((await call("GET", "/v1/status", { key: reader.token })).status).toBe(200);
    const other = await grantHelper(["work:read"]);
    await expectError(await call("GET", "/v1/status", { key: other.token }), 403, "missing_scope");
    await expectError(await call("GET", "/v1/status"), 401);
  });
});
