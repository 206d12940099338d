// The root handoff's two promises (README, Membrane): it answers 503 before changing anything when
// the seed cannot sign its checkpoint, and it is atomic — the owner's new root key and the
// revocation of every other root key commit together or not at all. The libSQL server is the
// real one all Worker tests share, so no handoff here may succeed (it would revoke the suite's
// root key): each case makes it fail and checks that nothing changed.
import { createExecutionContext } from "cloudflare:test";
import { asc, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb } from "../../lib/db/client.ts";
import { keys } from "../../lib/db/schema.ts";
import { app } from "../../workers/app.ts";
import { asRoot, bindings, expectError } from "../support/worker-fetch.ts";

const db = openDb(bindings);
// Every key row as stored, but when it was last used (the request itself bumps that).
const keyRows = async () => (await db.select().from(keys).orderBy(asc(keys.id)).all()).map(({ lastUsedAt: _, ...row }) => row);
const post = (env: Env) =>
  app.fetch(new Request("http://seed.test/v1/owner/handoff", { method: "POST", headers: { Authorization: `Bearer ${bindings.TEST_ROOT_KEY}` } }), env, createExecutionContext());

describe("root handoff", () => {
  it("answers 503 before any change when the Worker cannot sign the handoff's checkpoint", async () => {
    // The real audit ledger, except that it reports what a seed without SEED_IDENTITY_KEY reports.
    const real = bindings.AUDIT;
    const unsigned = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = real.get(id);
        return { canSign: async () => false, append: (...args: Parameters<typeof stub.append>) => stub.append(...args), head: () => stub.head() };
      },
    };
    const before = await keyRows();
    const head = await real.get(real.idFromName("ledger")).head();
    await expectError(await post({ ...bindings, AUDIT: unsigned as unknown as Env["AUDIT"] }), 503, "identity_key_unavailable");
    expect(await keyRows()).toEqual(before);
    expect(await real.get(real.idFromName("ledger")).head()).toEqual(head);
    const status = (await (await asRoot("GET", "/v1/owner/handoff")).json()) as { rootHolder: string };
    expect(status.rootHolder).toBe("installer");
  });

  it("is atomic: when the owner's new key cannot be stored, no root key is revoked", async () => {
    // A fault planted in the real database: storing the owner's root key fails inside the handoff's transaction.
    await db.run(sql.raw("CREATE TRIGGER IF NOT EXISTS handoff_test_fault BEFORE INSERT ON keys WHEN NEW.kind = 'root' AND NEW.name = 'owner' BEGIN SELECT RAISE(ABORT, 'planted fault'); END"));
    try {
      const before = await keyRows();
      const res = await post(bindings);
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(await keyRows()).toEqual(before);
    } finally {
      await db.run(sql.raw("DROP TRIGGER IF EXISTS handoff_test_fault"));
    }
    expect((await asRoot("GET", "/v1/owner/whoami")).status).toBe(200);
  });
});
