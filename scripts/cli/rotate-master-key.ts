// `seed handoff --rotate-master-key`: every credential (libSQL) and every secret the mind sealed
// (webhook sources, the notification webhook) re-sealed under a new master key — all or nothing —
// and the old master.key retired. The CLI generates the key and keeps it in master.key.next while
// the seed re-seals (POST /v1/owner/handoff/master-key); it becomes master.key only when the seed
// has committed, and workerd is then restarted with it (scripts/cli/handoff.ts).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { decryptSecret } from "../../lib/credentials.ts";
import { credentials } from "../../lib/db/schema.ts";
import { sameOwnerAs, writeSecretFile } from "./fs-secure.ts";
import type { Home } from "./home.ts";
import { withFileDb } from "./migrate.ts";

type Sealed = { name: string; host: string; ciphertext: string };

const opens = async (key: Uint8Array, rows: Sealed[]) => {
  for (const r of rows) {
    try {
      await decryptSecret(key, r.name, r.host, r.ciphertext);
    } catch {
      return false;
    }
  }
  return true;
};

/**
 * Checks, before the handoff changes anything, that every credential opens with master.key (and
 * finishes or discards a rotation a crash interrupted). Returns the rotation itself.
 */
export async function prepareMasterKeyRotation(home: Home): Promise<(url: string, rootToken: string) => Promise<string>> {
  if (!existsSync(home.masterKey)) throw new Error(`no master key at ${home.masterKey}`);
  const rows: Sealed[] = existsSync(home.db) ? await withFileDb(home.db, (db) => db.select().from(credentials).all()) : [];
  if (existsSync(home.masterKeyNext)) {
    // A crash between the seed's commit and the rename leaves the key in use in master.key.next.
    const next = readFileSync(home.masterKeyNext);
    if (rows.length > 0 && (await opens(next, rows))) renameSync(home.masterKeyNext, home.masterKey);
    else if (rows.length > 0 && (await opens(readFileSync(home.masterKey), rows))) rmSync(home.masterKeyNext);
    else throw new Error(`${home.masterKeyNext} is left from an interrupted master-key rotation and no credential tells which key is in use: keep the one your secrets open with (seed credentials), remove the other, then run the handoff again`);
  }
  const master = readFileSync(home.masterKey);
  for (const r of rows) {
    try {
      await decryptSecret(master, r.name, r.host, r.ciphertext);
    } catch {
      throw new Error(`credential ${r.name} does not open with ${home.masterKey}: nothing was changed`);
    }
  }
  return async (url, rootToken) => {
    const next = randomBytes(32);
    writeSecretFile(home.masterKeyNext, next);
    sameOwnerAs(home.masterKeyNext, home.masterKey);
    let fingerprint: string;
    try {
      const res = await fetch(`${url}/v1/owner/handoff/master-key`, {
        method: "POST",
        headers: { Authorization: `Bearer ${rootToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ masterKey: next.toString("hex") }),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await res.json()) as { fingerprint?: string; error?: { code: string; message: string } };
      if (!res.ok) throw new Error(`the seed refused the master-key rotation: ${res.status} ${body.error?.code ?? ""}: ${body.error?.message ?? ""}`);
      fingerprint = body.fingerprint!;
    } catch (err) {
      rmSync(home.masterKeyNext, { force: true }); // nothing was re-sealed: the old key stays
      throw err;
    }
    renameSync(home.masterKeyNext, home.masterKey); // the old master.key is gone
    return fingerprint;
  };
}
