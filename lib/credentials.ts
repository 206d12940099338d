// Credentials: secrets encrypted with AES-256-GCM under the 32-byte master.key, each bound to the
// one host it may be sent to (the host is part of the authenticated data, so a row moved to
// another host no longer decrypts). Web Crypto only: runs in Node and in workerd.
import { eq } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { mustFromBase64, toBase64 } from "./base64.ts";
import { credentials } from "./db/schema.ts";

type AnyDb = LibSQLDatabase<Record<string, unknown>>;

export type CredentialInfo = { name: string; host: string; createdAt: number; updatedAt: number };

export const CREDENTIAL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function masterKeyFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error("master key must be 32 bytes (64 hex characters)");
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

function aesKey(master: Uint8Array) {
  return crypto.subtle.importKey("raw", master, "AES-GCM", false, ["encrypt", "decrypt"]);
}

const aad = (name: string, host: string) => new TextEncoder().encode(`seed-credential\0${name}\0${host}`);

export async function encryptSecret(master: Uint8Array, name: string, host: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(name, host) }, await aesKey(master), new TextEncoder().encode(secret)),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64(out);
}

export async function decryptSecret(master: Uint8Array, name: string, host: string, ciphertext: string): Promise<string> {
  const raw = mustFromBase64(ciphertext, "a stored credential");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: raw.slice(0, 12), additionalData: aad(name, host) },
    await aesKey(master),
    raw.slice(12),
  );
  return new TextDecoder().decode(plain);
}

/** The same secret sealed under another master key (a master-key rotation); throws if `old` does not open it. */
export async function resealSecret(old: Uint8Array, next: Uint8Array, name: string, host: string, ciphertext: string): Promise<string> {
  return encryptSecret(next, name, host, await decryptSecret(old, name, host, ciphertext));
}

export async function setCredential(db: AnyDb, master: Uint8Array, input: { name: string; host: string; secret: string }, now = Date.now()): Promise<void> {
  if (!CREDENTIAL_NAME.test(input.name)) throw new Error(`credential name must match ${CREDENTIAL_NAME}`);
  const ciphertext = await encryptSecret(master, input.name, input.host, input.secret);
  await db
    .insert(credentials)
    .values({ name: input.name, host: input.host, ciphertext, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: credentials.name, set: { host: input.host, ciphertext, updatedAt: now } });
}

/** The secret and its host, for the code that sends it to that host; never for an API response. */
export async function getCredential(db: AnyDb, master: Uint8Array, name: string): Promise<{ host: string; secret: string } | null> {
  const row = await db.select().from(credentials).where(eq(credentials.name, name)).get();
  if (!row) return null;
  return { host: row.host, secret: await decryptSecret(master, row.name, row.host, row.ciphertext) };
}

export async function listCredentials(db: AnyDb): Promise<CredentialInfo[]> {
  return db
    .select({ name: credentials.name, host: credentials.host, createdAt: credentials.createdAt, updatedAt: credentials.updatedAt })
    .from(credentials)
    .orderBy(credentials.name)
    .all();
}

export async function removeCredential(db: AnyDb, name: string): Promise<boolean> {
  const r = await db.delete(credentials).where(eq(credentials.name, name));
  return r.rowsAffected > 0;
}
