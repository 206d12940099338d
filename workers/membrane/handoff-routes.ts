// /v1/owner/handoff: the root handoff. The owner's own root key is minted, every other root key
// (the installer's) is revoked in the same transaction, both are written to the audit ledger and
// the seed signs a checkpoint. After it the provider is membrane-only.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, isNull } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { UnavailableError } from "../../lib/errors.ts";
import { mintKey } from "../../lib/keys.ts";
import { auditLedger, ownerAction, recordAudit } from "../audit/audit-client.ts";
import { keyInfo } from "../auth/key-info.ts";
import { revokeKeys } from "../auth/revoke-keys.ts";
import { openApp } from "../http/open-app.ts";
import { described } from "../http/route-parts.ts";

/** The name the owner's root key carries; `installer` is the one `seed init` minted. */
export const OWNER_ROOT_NAME = "owner";

const status = createRoute({ method: "get", path: "/", responses: { 200: described("who holds root, and the live helper keys") } });
const handoff = createRoute({ method: "post", path: "/", responses: { 201: described("the owner's new root key (shown only here) and the root keys revoked") } });

/** Mounted under /v1/owner/handoff, behind the owner's root key. */
export const ownerHandoff = openApp()
  .openapi(status, async (c) => {
    const rows = await c.var.db.select().from(keys).where(isNull(keys.revokedAt)).orderBy(asc(keys.createdAt)).all();
    const now = Date.now();
    const roots = rows.filter((r) => r.kind === "root").map((r) => keyInfo(r, now));
    const names = new Set(roots.map((r) => (r.name === OWNER_ROOT_NAME ? "owner" : "installer")));
    const holder = names.has("installer") ? (names.has("owner") ? "installer and owner" : "installer") : "owner";
    const helpers = rows.filter((r) => r.kind === "helper").map((r) => keyInfo(r, now)).filter((k) => k.state === "live");
    return c.json({ rootHolder: holder, roots, helpers }, 200);
  })
  .openapi(handoff, async (c) => {
    // Refuse before changing anything if the seed could not sign the handoff's checkpoint.
    if (!(await auditLedger(c.env).canSign().catch(() => false))) {
      throw new UnavailableError("the seed's identity key is not available to the Worker (SEED_IDENTITY_KEY): cannot sign the handoff", "identity_key_unavailable");
    }
    const db = c.var.db;
    const key = await mintKey("root");
    const now = Date.now();
    const others = await db.select({ id: keys.id }).from(keys).where(and(eq(keys.kind, "root"), isNull(keys.revokedAt))).all();
    // The new key is inserted in the same transaction that revokes the others. From here on the
    // token must reach the caller whatever happens, or the owner would be locked out of their own seed.
    const { revoked } = await revokeKeys(
      c,
      others.map((r) => r.id),
      {
        action: "handoff.revoke-root",
        alongside: [db.insert(keys).values({ id: key.id, kind: "root", name: OWNER_ROOT_NAME, secretHash: key.secretHash, createdAt: now })],
        afterCommit: "log",
      },
    );
    let audit: { recorded: boolean; checkpoint: unknown } = { recorded: false, checkpoint: null };
    try {
      const result = await recordAudit(c.env, [ownerAction(c, "handoff.owner-root", { id: key.id, name: OWNER_ROOT_NAME }, 201)], { checkpoint: "handoff" });
      audit = { recorded: true, checkpoint: result.checkpoint };
    } catch {
      console.error("handoff done but the audit ledger could not record it");
    }
    return c.json({ id: key.id, name: OWNER_ROOT_NAME, token: key.token, revoked: revoked.map((r) => ({ id: r.id, name: r.name })), audit }, 201);
  });
