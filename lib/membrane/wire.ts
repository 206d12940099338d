// The membrane's and the key registry's request shapes (workers/membrane, workers/identity).
import { z } from "zod";
import { CheckpointBody } from "../audit/responses.ts";
import { HELPER_SCOPES, isHelperScope, MAX_TTL_MS, parseTtl } from "./helper-scopes.ts";

export const KEY_ID = /^[a-z0-9]{16}$/;

export const GrantInput = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/, "1-64 letters, digits, spaces, . _ @ -"),
  scopes: z
    .array(z.string().refine(isHelperScope, { message: `not a helper scope (one of: ${HELPER_SCOPES.map((s) => s.example).join(", ")})` }))
    .min(1, "at least one scope")
    .max(32),
  ttl: z
    .string()
    .refine((t) => parseTtl(t) !== null, { message: "a lifetime like 90m, 12h or 30d" })
    .refine((t) => (parseTtl(t) ?? 0) >= 60_000 && (parseTtl(t) ?? Infinity) <= MAX_TTL_MS, { message: "between 1 minute and 366 days" })
    .optional(),
});

const KeyState = z.enum(["live", "expired", "revoked", "all"]);

export const HelperListQuery = z.object({ state: KeyState.default("live") });
export const KeyListQuery = z.object({ kind: z.enum(["root", "agent", "helper"]).optional(), state: KeyState.default("all") });

/** A key id in the path. Any text is accepted here: an id that is not one is simply not found (404). */
export const KeyIdParams = z.object({ id: z.string().max(200) });

/** `seed handoff --rotate-master-key`: the new master key (32 bytes, hex), generated and kept by the CLI. */
export const MasterKeyInput = z.object({ masterKey: z.string().regex(/^[0-9a-f]{64}$/, "32 bytes as 64 lowercase hex characters") }).strict();

// Response shapes of /v1/owner/membrane and /v1/owner/keys: a key as the API shows it, never a secret or its hash.
export const KeyInfoBody = z.object({
  id: z.string(),
  kind: z.enum(["root", "agent", "helper"]),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  state: z.enum(["live", "expired", "revoked"]),
});
export const RevokedKeyBody = KeyInfoBody.extend({ disconnected: z.number().int() });
export const GrantedBody = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), createdAt: z.number(), expiresAt: z.number().nullable(), token: z.string() });

// Response shapes of /v1/owner/handoff.
export const HandoffStatusBody = z.object({ rootHolder: z.enum(["installer", "owner", "installer and owner"]), roots: z.array(KeyInfoBody), helpers: z.array(KeyInfoBody) });
export const HandoffBody = z.object({
  id: z.string(),
  name: z.string(),
  /** The owner's new root key: shown only here. */
  token: z.string(),
  revoked: z.array(z.object({ id: z.string(), name: z.string() })),
  audit: z.object({ recorded: z.boolean(), checkpoint: CheckpointBody.nullable() }),
});
export const MasterKeyBody = z.object({ credentials: z.number(), mindSecrets: z.number(), fingerprint: z.string() });
