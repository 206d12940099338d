// Ed25519 signing and verification through Web Crypto (Node 22 and workerd both support it).
// The seed's private key travels as PKCS8 DER in base64 (SEED_IDENTITY_KEY); its public key is
// the raw 32 bytes in base64, as the identity table stores it.

import { fromBase64, mustFromBase64, toBase64 } from "../base64.ts";

/** A Web Crypto key, spelled so that both Node's and workerd's type libraries accept it. */
export type Ed25519Key = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** The base64 body of a PEM block (what `seed.key` / `seed.pub` hold). */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
}

// SPKI DER of an Ed25519 public key is this fixed 12-byte prefix followed by the raw 32 bytes.
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export function publicKeyPem(rawBase64: string): string {
  const raw = mustFromBase64(rawBase64, "the public key");
  const der = new Uint8Array(SPKI_PREFIX.length + raw.length);
  der.set(SPKI_PREFIX);
  der.set(raw, SPKI_PREFIX.length);
  const body = toBase64(der).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}

export function importSigningKey(pkcs8Base64: string): Promise<Ed25519Key> {
  return crypto.subtle.importKey("pkcs8", mustFromBase64(pkcs8Base64, "the private key"), { name: "Ed25519" }, false, ["sign"]);
}

export function importVerifyKey(rawBase64: string): Promise<Ed25519Key> {
  return crypto.subtle.importKey("raw", mustFromBase64(rawBase64, "the public key"), { name: "Ed25519" }, false, ["verify"]);
}

export async function signText(key: Ed25519Key, text: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(text))));
}

export async function verifyText(key: Ed25519Key, text: string, signatureBase64: string): Promise<boolean> {
  const sig = fromBase64(signatureBase64);
  if (!sig) return false;
  return crypto.subtle.verify({ name: "Ed25519" }, key, sig, new TextEncoder().encode(text));
}
