// The seed's Ed25519 identity. The seed id is derived from the public key, so it can be checked.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Home } from "./home.ts";
import { writeSecretFile } from "./fs-secure.ts";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export type Identity = { seedId: string; publicKey: string /* base64 raw */ };

export function seedIdOf(rawPublicKey: Uint8Array): string {
  return `seed-${base32(createHash("sha256").update(rawPublicKey).digest()).slice(0, 26)}`;
}

function rawPublicKey(pem: string): Buffer {
  const jwk = createPublicKey(pem).export({ format: "jwk" });
  return Buffer.from(jwk.x!, "base64url");
}

export function readIdentity(home: Home): Identity | null {
  if (!existsSync(home.identityPub)) return null;
  const raw = rawPublicKey(readFileSync(home.identityPub, "utf8"));
  return { seedId: seedIdOf(raw), publicKey: raw.toString("base64") };
}

/** Creates the key pair unless it exists; returns whether it was created. */
export function ensureIdentity(home: Home): { identity: Identity; created: boolean } {
  const havePriv = existsSync(home.identityKey);
  const havePub = existsSync(home.identityPub);
  if (havePriv !== havePub) {
    throw new Error(`half an identity in ${home.identityDir}: refusing to mint a new one over it`);
  }
  if (!havePriv) {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeSecretFile(home.identityKey, privateKey.export({ format: "pem", type: "pkcs8" }) as string);
    writeSecretFile(home.identityPub, publicKey.export({ format: "pem", type: "spki" }) as string);
  }
  return { identity: readIdentity(home)!, created: !havePriv };
}

export function signWithIdentity(home: Home, data: Uint8Array): string {
  return sign(null, data, createPrivateKey(readFileSync(home.identityKey, "utf8"))).toString("base64");
}
