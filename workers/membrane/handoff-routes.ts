// /v1/owner/handoff: the root handoff. The owner's own root key is minted, every other root key
// (the installer's) is revoked in the same transaction, both are written to the audit ledger and
// the seed signs a checkpoint. After it the provider is membrane-only.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Checkpoint } from "../../lib/audit/checkpoint.ts";
import { masterKeyFromHex, resealSecret } from "../../lib/credentials.ts";
import { credentials, keys } from "../../lib/db/schema.ts";
import { ConflictError, UnavailableError } from "../../lib/errors.ts";
import { mintKey, sha256Hex } from "../../lib/keys.ts";
import { HandoffBody, HandoffStatusBody, MasterKeyBody, MasterKeyInput } from "../../lib/membrane/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { auditChange } from "../audit/audit-change.ts";
import { jsonBody } from "../http/json-body.ts";
import { mindOf } from "../mind/mind-stub.ts";
import { auditLedger, ownerAction, recordAudit } from "../audit/audit-client.ts";
import { keyInfo } from "../auth/key-info.ts";
import { revokeKeys } from "../auth/revoke-keys.ts";
import { openApp } from "../http/open-app.ts";
import { json, returns } from "../http/route-parts.ts";

/** The name the owner's root key carries; `installer` is the one `seed init` minted. */
export const OWNER_ROOT_NAME = "owner";

const status = createRoute({ method: "get", path: "/", responses: { 200: returns(HandoffStatusBody, "who holds root, and the live helper keys") } });
const handoff = createRoute({ method: "post", path: "/", responses: { 201: returns(HandoffBody, "the owner's new root key (shown only here) and the root keys revoked") } });
// The CLI generates the new key, keeps it in master.key.next and sends it here (loopback, in the
// body: never in a URL or a log); it becomes master.key when this answers 200, and workerd is
// restarted with it. Until then the running Worker still holds the old key.
const masterKey = createRoute({
  method: "post",
  path: "/master-key",
  middleware: [jsonBody()],
  request: { body: json(MasterKeyInput) },
  responses: { 200: returns(MasterKeyBody, "every credential and every secret the mind sealed, now under the new master key") },
});

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
    let audit: { recorded: boolean; checkpoint: Checkpoint | null } = { recorded: false, checkpoint: null };
    try {
      const result = await recordAudit(c.env, [ownerAction(c, "handoff.owner-root", { id: key.id, name: OWNER_ROOT_NAME }, 201)], { checkpoint: "handoff" });
      audit = { recorded: true, checkpoint: result.checkpoint };
    } catch {
      console.error("handoff done but the audit ledger could not record it");
    }
    return c.json({ id: key.id, name: OWNER_ROOT_NAME, token: key.token, revoked: revoked.map((r) => ({ id: r.id, name: r.name })), audit }, 201);
  })
  .openapi(masterKey, async (c) => {
    const nextHex = c.req.valid("json").masterKey;
    const oldHex = c.env.SEED_MASTER_KEY;
    if (nextHex === oldHex) throw new ConflictError("that is the current master key", "same_master_key");
    const [old, next] = [masterKeyFromHex(oldHex), masterKeyFromHex(nextHex)];
    const db = c.var.db;
    // Everything is re-sealed in memory first: a credential that does not open changes nothing.
    const rows = await db.select().from(credentials).all();
    const resealed: { name: string; ciphertext: string }[] = [];
    for (const r of rows) {
      const ciphertext = await resealSecret(old, next, r.name, r.host, r.ciphertext).catch(() => null);
      if (ciphertext === null) throw new ConflictError(`credential ${r.name} does not open with the current master key: nothing was changed`, "credential_not_readable");
      resealed.push({ name: r.name, ciphertext });
    }
    const { resealed: mindSecrets } = unwrap(await mindOf(c.env).rekeySecrets(oldHex, nextHex));
    try {
      if (resealed.length > 0) {
        const [first, ...more] = resealed.map((r) => db.update(credentials).set({ ciphertext: r.ciphertext }).where(eq(credentials.name, r.name)));
        await db.batch([first!, ...more]);
      }
    } catch (cause) {
      // All or nothing: the mind's secrets go back under the old key.
      await mindOf(c.env).rekeySecrets(nextHex, oldHex).catch(() => console.error("master-key rotation: could not return the mind's secrets to the old key"));
      throw new UnavailableError("the credentials could not be re-sealed: nothing was changed", "rotation_failed", { cause });
    }
    const fingerprint = (await sha256Hex(next)).slice(0, 16);
    await auditChange(c, "handoff.rotate-master-key", "master.key", { fingerprint, credentials: resealed.length, mindSecrets });
    return c.json({ credentials: resealed.length, mindSecrets, fingerprint }, 200);
  });
