// GET /v1/identity (public): who this seed is. The seed signs what it asserts about itself
// (audit checkpoints, the sovereignty report) with this key; anyone can check with it.
import { createRoute } from "@hono/zod-openapi";
import { publicKeyPem } from "../../lib/audit/ed25519.ts";
import { identity } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import { openApp } from "../http/open-app.ts";
import { z } from "zod";
import { returns } from "../http/route-parts.ts";

const read = createRoute({ method: "get", path: "/", responses: { 200: returns(z.object({ seedId: z.string(), algorithm: z.literal("Ed25519"), publicKey: z.string(), publicKeyPem: z.string(), createdAt: z.number() }), "the seed's id and Ed25519 public key") } });

export const identityRoutes = openApp().openapi(read, async (c) => {
  let row;
  try {
    row = await c.var.db.select().from(identity).get();
  } catch (cause) {
    throw new UnavailableError("the identity store (libSQL) is unreachable", "identity_unavailable", { cause });
  }
  if (!row) throw new UnavailableError("this seed has no identity yet: run `seed init`", "no_identity");
  return c.json({ seedId: row.seedId, algorithm: "Ed25519", publicKey: row.publicKey, publicKeyPem: publicKeyPem(row.publicKey), createdAt: row.createdAt }, 200);
});
