// Credentials are really AES-256-GCM under the master key, bound to one host: checked with an
// independent implementation (node:crypto), not only by the module's own round trip; one flipped
// byte anywhere fails; another name, host or key fails; and the row in the real database holds
// nothing that base64 or hex would give back.
import { createClient, type Client } from "@libsql/client";
import { createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CREDENTIAL_NAME, decryptSecret, encryptSecret, getCredential, listCredentials, masterKeyFromHex, removeCredential, resealSecret, setCredential } from "../../lib/credentials.ts";
import { applyMigrations } from "../../scripts/cli/migrate.ts";

const MASTER = new Uint8Array(randomBytes(32));
const SECRET = "sk-live-0123456789abcdefghij-the-real-thing";

/** AES-256-GCM as Node's OpenSSL binding does it: iv (12) ‖ ciphertext ‖ tag (16), base64. */
function nodeDecrypt(master: Uint8Array, name: string, host: string, stored: string): string {
  const raw = Buffer.from(stored, "base64");
  const decipher = createDecipheriv("aes-256-gcm", master, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(`seed-credential\0${name}\0${host}`));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
}

function flip(stored: string, index: number): string {
  const raw = Buffer.from(stored, "base64");
  raw[index]! ^= 0x01;
  return raw.toString("base64");
}

/** Every way the secret could sit in the stored text without real encryption. */
function leaks(stored: string, secret: string): boolean {
  const raw = Buffer.from(stored, "base64");
  const hex = Buffer.from(secret).toString("hex");
  return stored.includes(secret) || raw.includes(secret) || stored.includes(hex) || stored.includes(Buffer.from(secret).toString("base64")) || raw.toString("latin1").includes(secret.slice(4, 20));
}

describe("AES-256-GCM under the master key", () => {
  it("what it stores decrypts with node:crypto's aes-256-gcm, the name and host as associated data", async () => {
    const stored = await encryptSecret(MASTER, "llm-key", "api.example.com", SECRET);
    expect(nodeDecrypt(MASTER, "llm-key", "api.example.com", stored)).toBe(SECRET);
    // iv 12 bytes + one ciphertext byte per plaintext byte + a 16-byte tag: GCM, nothing else.
    expect(Buffer.from(stored, "base64").length).toBe(12 + Buffer.byteLength(SECRET) + 16);
    expect(leaks(stored, SECRET)).toBe(false);
    // AES-128 under the first half of the key does not open it: the key is all 32 bytes.
    expect(() => nodeDecryptWith128(stored)).toThrow();
  });

  it("decrypts what node:crypto encrypted the same way (the format is the standard one)", async () => {
    const { createCipheriv } = await import("node:crypto");
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", MASTER, iv);
    cipher.setAAD(Buffer.from("seed-credential\0n\0h.example"));
    const ct = Buffer.concat([cipher.update("from node", "utf8"), cipher.final()]);
    const stored = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString("base64");
    expect(await decryptSecret(MASTER, "n", "h.example", stored)).toBe("from node");
  });

  it("one flipped bit in the iv, the ciphertext or the tag fails", async () => {
    const stored = await encryptSecret(MASTER, "n", "h.example", SECRET);
    const length = Buffer.from(stored, "base64").length;
    for (const i of [0, 11, 12, 12 + 10, length - 17, length - 16, length - 1]) {
      await expect(decryptSecret(MASTER, "n", "h.example", flip(stored, i)), `byte ${i}`).rejects.toThrow();
    }
    await expect(decryptSecret(MASTER, "n", "h.example", stored)).resolves.toBe(SECRET);
  });

  it("is bound to its name, its host and the master key", async () => {
    const stored = await encryptSecret(MASTER, "n", "h.example", SECRET);
    await expect(decryptSecret(MASTER, "n", "evil.example", stored)).rejects.toThrow();
    await expect(decryptSecret(MASTER, "n", "h.example.", stored)).rejects.toThrow();
    await expect(decryptSecret(MASTER, "m", "h.example", stored)).rejects.toThrow();
    // The separator keeps name and host apart: "n\0h" is not "n\0" + "h" shifted.
    await expect(decryptSecret(MASTER, "nh", ".example", stored)).rejects.toThrow();
    const other = new Uint8Array(MASTER);
    other[31]! ^= 0x80;
    await expect(decryptSecret(other, "n", "h.example", stored)).rejects.toThrow();
  });

  it("a fresh iv every time: the same secret never looks the same twice", async () => {
    const a = await encryptSecret(MASTER, "n", "h.example", SECRET);
    const b = await encryptSecret(MASTER, "n", "h.example", SECRET);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, "base64").subarray(0, 12)).not.toEqual(Buffer.from(b, "base64").subarray(0, 12));
  });

  it("empty and non-ASCII secrets round-trip", async () => {
    for (const s of ["", "päss wörd ✓ 🔑", "x".repeat(10_000)]) {
      const stored = await encryptSecret(MASTER, "n", "h.example", s);
      expect(await decryptSecret(MASTER, "n", "h.example", stored)).toBe(s);
      expect(nodeDecrypt(MASTER, "n", "h.example", stored)).toBe(s);
    }
  });

  it("a reseal (master-key rotation) opens under the new key only, bound as before; a wrong old key refuses it", async () => {
    const next = new Uint8Array(randomBytes(32));
    const stored = await encryptSecret(MASTER, "n", "h.example", SECRET);
    const resealed = await resealSecret(MASTER, next, "n", "h.example", stored);
    expect(nodeDecrypt(next, "n", "h.example", resealed)).toBe(SECRET);
    expect(() => nodeDecrypt(MASTER, "n", "h.example", resealed)).toThrow();
    await expect(decryptSecret(next, "n", "evil.example", resealed)).rejects.toThrow();
    await expect(resealSecret(next, MASTER, "n", "h.example", stored)).rejects.toThrow();
  });

  it("the AES key made from master.key is not extractable (Web Crypto will not hand its bytes out)", async () => {
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    try {
      await decryptSecret(MASTER, "n", "h.example", await encryptSecret(MASTER, "n", "h.example", SECRET));
      const made = await Promise.all(importKey.mock.results.map((r) => r.value as ReturnType<typeof crypto.subtle.importKey>));
      expect(made.length).toBe(2);
      for (const key of made) expect(key).toMatchObject({ extractable: false, algorithm: { name: "AES-GCM", length: 256 } });
    } finally {
      importKey.mockRestore();
    }
  });

  it("the master key is exactly 64 lowercase hex characters", () => {
    const hex = Buffer.from(MASTER).toString("hex");
    expect(masterKeyFromHex(hex)).toEqual(MASTER);
    for (const bad of ["", hex.slice(2), `${hex}00`, hex.toUpperCase(), `${hex.slice(1)}g`, ` ${hex.slice(1)}`, `${hex}\n`]) {
      expect(() => masterKeyFromHex(bad), JSON.stringify(bad)).toThrow("master key must be 32 bytes (64 hex characters)");
    }
  });

  it("credential names: lowercase, digits, . _ -, up to 64, not starting with punctuation", () => {
    for (const ok of ["a", "llm-key", "openai.prod_2", "0", "a".repeat(64)]) expect(CREDENTIAL_NAME.test(ok), ok).toBe(true);
    for (const bad of ["", "-a", ".a", "A", "a b", "a/b", "a".repeat(65), "a\n", "é"]) expect(CREDENTIAL_NAME.test(bad), bad).toBe(false);
  });
});

function nodeDecryptWith128(stored: string): string {
  const raw = Buffer.from(stored, "base64");
  const decipher = createDecipheriv("aes-128-gcm", MASTER.subarray(0, 16), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from("seed-credential\0llm-key\0api.example.com"));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
}

// A real libSQL database file with the seed's migrations, opened in-process: fast enough to run
// for every mutant of `seed mutate` (the server path is covered by the system tests).
describe("credentials in the real database", () => {
  let dir: string;
  let client: Client;
  let db: ReturnType<typeof drizzle>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "seed credentials "));
    const file = path.join(dir, "seed.db");
    await applyMigrations(file);
    client = createClient({ url: pathToFileURL(file).href });
    db = drizzle(client);
  });

  afterAll(() => {
    client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores only ciphertext that node:crypto opens with the master key; lists never show it", async () => {
    await setCredential(db, MASTER, { name: "llm-key", host: "api.example.com", secret: SECRET }, 1_000);
    const row = (await client.execute("SELECT name, host, ciphertext, created_at, updated_at FROM credentials")).rows;
    expect(row).toHaveLength(1);
    const stored = String(row[0]!.ciphertext);
    expect(leaks(stored, SECRET)).toBe(false);
    expect(nodeDecrypt(MASTER, "llm-key", "api.example.com", stored)).toBe(SECRET);
    expect(await getCredential(db, MASTER, "llm-key")).toEqual({ host: "api.example.com", secret: SECRET });
    expect(await listCredentials(db)).toEqual([{ name: "llm-key", host: "api.example.com", createdAt: 1_000, updatedAt: 1_000 }]);
  });

  it("a row moved to another host no longer decrypts", async () => {
    await client.execute({ sql: "UPDATE credentials SET host = ? WHERE name = ?", args: ["evil.example", "llm-key"] });
    await expect(getCredential(db, MASTER, "llm-key")).rejects.toThrow();
    await client.execute({ sql: "UPDATE credentials SET host = ? WHERE name = ?", args: ["api.example.com", "llm-key"] });
    expect((await getCredential(db, MASTER, "llm-key"))?.secret).toBe(SECRET);
  });

  it("setting it again re-encrypts for the new host, keeps createdAt; remove says whether it existed", async () => {
    await setCredential(db, MASTER, { name: "llm-key", host: "api2.example.com", secret: "second" }, 2_000);
    expect(await getCredential(db, MASTER, "llm-key")).toEqual({ host: "api2.example.com", secret: "second" });
    expect(await listCredentials(db)).toEqual([{ name: "llm-key", host: "api2.example.com", createdAt: 1_000, updatedAt: 2_000 }]);
    await setCredential(db, MASTER, { name: "a-first", host: "a.example", secret: "a" }, 3_000);
    expect((await listCredentials(db)).map((c) => c.name)).toEqual(["a-first", "llm-key"]);
    expect(await removeCredential(db, "llm-key")).toBe(true);
    expect(await removeCredential(db, "llm-key")).toBe(false);
    expect(await getCredential(db, MASTER, "llm-key")).toBeNull();
  });

  it("refuses a name outside the pattern before storing anything", async () => {
    await expect(setCredential(db, MASTER, { name: "Bad Name", host: "h", secret: "s" })).rejects.toThrow(/credential name must match/);
    expect((await listCredentials(db)).map((c) => c.name)).toEqual(["a-first"]);
  });
});
