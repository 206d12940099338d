import type { KeyKind } from "../../lib/keys.ts";

/** Who made a request, as authenticate() verified it against the keys table. */
export type Caller = { kind: KeyKind; keyId: string; name: string; scopes: string[]; /** ms since the epoch, or null: never expires. */ expiresAt: number | null };
