// Standard Webhooks (standardwebhooks.com), symmetric scheme: the sender signs
// `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 under the base64-decoded secret
// and sends `webhook-signature: v1,<base64>` (several, space separated, during key rotation).
import { fromBase64, toBase64 } from "../base64.ts";
import { bytesEqual, concatBytes, hmacSha256, utf8, type HmacKey } from "./hmac.ts";

/** The spec's tolerance: a timestamp further than this from now, either way, is refused. */
export const TOLERANCE_MS = 5 * 60 * 1000;
export const SECRET_PREFIX = "whsec_";

export type StandardHeaders = { id?: string | null; timestamp?: string | null; signature?: string | null };
export type Verdict = { ok: true; id: string; timestampMs: number } | { ok: false; reason: "missing_headers" | "bad_timestamp" | "stale_timestamp" | "bad_signature" };

/** The signing key bytes of a `whsec_…` secret (the prefix is optional); null if not base64. */
export function standardSecretBytes(secret: string): Uint8Array | null {
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = fromBase64(body);
  // The spec asks for at least 24 random bytes.
  return bytes && bytes.byteLength >= 24 ? bytes : null;
}

export function newStandardSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export async function signStandard(key: HmacKey, id: string, timestampSec: number, body: Uint8Array): Promise<string> {
  return `v1,${toBase64(await hmacSha256(key, concatBytes(utf8(`${id}.${timestampSec}.`), body)))}`;
}

export async function verifyStandard(key: HmacKey, headers: StandardHeaders, body: Uint8Array, nowMs: number): Promise<Verdict> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: "missing_headers" };
  // The id and timestamp are part of the signed text: a `.` in either would let a sender shift bytes between fields.
  if (id.includes(".") || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const timestampMs = Number(timestamp) * 1000;
  if (Math.abs(nowMs - timestampMs) > TOLERANCE_MS) return { ok: false, reason: "stale_timestamp" };
  const expected = await hmacSha256(key, concatBytes(utf8(`${id}.${timestamp}.`), body));
  let matched = false;
  for (const part of signature.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const given = fromBase64(part.slice(comma + 1));
    if (given && bytesEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestampMs } : { ok: false, reason: "bad_signature" };
}
