// GET /v1/identity (public): who this seed is. The seed signs what it asserts about itself
// (audit checkpoints, the sovereignty report) with this key; anyone can check with it.
import { Hono } from "hono";
import { publicKeyPem } from "../../lib/audit/ed25519.ts";
import { identity } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";

export const identityRoutes = new Hono<AppEnv>().get("/", async (c) => {
  let row;
  try {
    row = await c.var.db.select().from(identity).get();
  } catch (cause) {
    throw new UnavailableError("the identity store (libSQL) is unreachable", "identity_unavailable", { cause });
  }
  if (!row) throw new UnavailableError("this seed has no identity yet: run `seed init`", "no_identity");
  return c.json({
    seedId: row.seedId,
    algorithm: "Ed25519",
    publicKey: row.publicKey,
    publicKeyPem: publicKeyPem(row.publicKey),
    createdAt: row.createdAt,
  });
});
