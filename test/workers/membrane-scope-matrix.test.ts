// The scope matrix: key kind × scope × route → expected status. One row per route (the rows live
// in test/support/scope-matrix-rows.ts: organs add theirs there); every row is tried with no key,
// a malformed header, the root key, an agent key, a helper holding the route's scope, a helper
// holding every other scope, a revoked helper and an expired helper.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../lib/db/schema.ts";
import { openDb } from "../../lib/db/client.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { callFrom, freshAddress, grantHelper, type Helper } from "../support/membrane.ts";
import { HELPER_SCOPES, ROWS, type Row } from "../support/scope-matrix-rows.ts";
import { bindings, newAgent, type TestAgent } from "../support/worker-fetch.ts";

const withoutScope = new Map<string, Helper>();
let withAll: Helper;
let revoked: Helper;
let expired: Helper;
let agent: TestAgent;

beforeAll(async () => {
  agent = await newAgent("matrix");
  withAll = await grantHelper(HELPER_SCOPES, { name: "matrix all" });
  revoked = await grantHelper(HELPER_SCOPES, { name: "matrix revoked" });
  expired = await grantHelper(HELPER_SCOPES, { name: "matrix expired", ttl: "1h" });
  const db = openDb(bindings);
  await db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, revoked.id));
  await db.update(keys).set({ expiresAt: Date.now() - 1 }).where(eq(keys.id, expired.id));
  forgetKeys([revoked.id, expired.id]); // as revokeKeys does after its commit (workers/auth/key-cache.ts)
  for (const s of new Set(ROWS.map((r) => r.scope).filter((s): s is string => s !== null && s !== "public"))) {
    withoutScope.set(s, await grantHelper(HELPER_SCOPES.filter((x) => x !== s), { name: `matrix without ${s.replace(/[^a-z]/g, "-")}` }));
  }
}, 60_000); // a dozen audited grants in a row: more than the default 10 s on a loaded machine

/** Every call from a fresh address, so the failed-authentication limiter never answers instead. */
const status = async (row: Row, headers: Record<string, string>) => {
  const path = typeof row.path === "function" ? row.path() : row.path;
  const res = await callFrom(freshAddress(), row.method, path, { body: row.body, headers });
  await res.arrayBuffer();
  return res.status;
};
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe("scope matrix", () => {
  it.each(ROWS.map((r) => [`${r.method} ${typeof r.path === "string" ? r.path : r.path().replace(/matrix-[^/]+/, ":topic")}`, r] as const))("%s", async (_name, row) => {
    const pub = row.scope === "public";
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    const cell = async (who: string, headers: Record<string, string>, expected: number | undefined) => {
      if (expected === undefined) return;
      got[who] = await status(row, headers);
      want[who] = expected;
    };
    await cell("anonymous", {}, pub ? 200 : 401);
    await cell("malformed", { Authorization: "Bearer" }, pub ? 200 : 400);
    await cell("root", bearer(bindings.TEST_ROOT_KEY), row.root);
    await cell("agent", bearer(agent.token), row.agent);
    if (row.scope !== null && !pub) {
      await cell("helper with scope", bearer(withoutScope.has(row.scope) ? (await grantHelper([row.scope])).token : withAll.token), row.helper);
      await cell("helper without scope", bearer(withoutScope.get(row.scope)!.token), 403);
    } else {
      await cell("helper with every scope", bearer(withAll.token), pub ? 200 : 403);
    }
    await cell("revoked helper", bearer(revoked.token), pub ? 200 : 401);
    await cell("expired helper", bearer(expired.token), pub ? 200 : 401);
    expect(got).toEqual(want);
  });
});
