// Keys look like `seed_<kind>_<id>_<secret>`. Only sha256(secret) is stored; the id finds the row.
// Runs both in Node and in workerd: Web Crypto only.

export const KEY_KINDS = ["root", "agent", "helper"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

export type ParsedKey = { kind: KeyKind; id: string; secret: string };
export type MintedKey = ParsedKey & { token: string; secretHash: string };

const KEY_PATTERN = /^seed_(root|agent|helper)_([a-z0-9]{16})_([a-f0-9]{64})$/;

export function parseKey(token: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(token);
  if (!m) return null;
  return { kind: m[1] as KeyKind, id: m[2]!, secret: m[3]! };
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Bytes as lowercase hex. A table, not toString(16) per byte: it runs twice on every helper request. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX_BYTES[b];
  return out;
}

export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function randomId(length = 16): string {
  // Rejection sampling keeps every character equally likely.
  const out: string[] = [];
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 252 && out.length < length) out.push(ID_ALPHABET[b % 36]!);
    }
  }
  return out.join("");
}

const encoder = new TextEncoder();

export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? encoder.encode(text) : text;
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

export async function mintKey(kind: KeyKind): Promise<MintedKey> {
  const id = randomId();
  const secret = randomHex(32);
  return { kind, id, secret, token: `seed_${kind}_${id}_${secret}`, secretHash: await sha256Hex(secret) };
}

/** Constant-time comparison of two equal-length hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
