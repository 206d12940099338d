// GitHub webhook signatures: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`,
// keyed with the webhook secret's UTF-8 bytes. GitHub sends no timestamp and signs neither
// `X-GitHub-Delivery` nor `X-GitHub-Event`, so replays are caught by the signed body's digest
// (durable/mind/webhook-intake.ts).
import { bytesEqual, hmacSha256, toHex, utf8, type HmacKey } from "./hmac.ts";

export function githubSecretBytes(secret: string): Uint8Array {
  return utf8(secret);
}

export async function signGithub(key: HmacKey, body: Uint8Array): Promise<string> {
  return `sha256=${toHex(await hmacSha256(key, body))}`;
}

export async function verifyGithub(key: HmacKey, header: string | null | undefined, body: Uint8Array): Promise<boolean> {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = utf8(await signGithub(key, body));
  return bytesEqual(utf8(`sha256=${header.slice(7).toLowerCase()}`), expected);
}
