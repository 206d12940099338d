// HMAC-SHA256 and the encodings the webhook schemes use. Web Crypto only: runs in Node and workerd.

const encoder = new TextEncoder();

/** A Web Crypto HMAC key (spelled without the DOM type name, so Node's and workerd's typings agree). */
export type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

export function importHmacKey(raw: Uint8Array): Promise<HmacKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

export async function hmacSha256(key: HmacKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export { toHex } from "../keys.ts";

/** Compares two byte strings in time that depends only on their lengths. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
