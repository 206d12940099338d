// `seed init`: mints the organism's identity and keys and prepares its database. Idempotent: it
// only creates what is missing and never overwrites an identity or a key.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { identity, keys } from "../../lib/db/schema.ts";
import { mintKey, parseKey, randomHex, sha256Hex } from "../../lib/keys.ts";
import { ensureDir, writeSecretFile } from "./fs-secure.ts";
import type { Home } from "./home.ts";
import { ensureIdentity } from "./identity.ts";
import { applyMigrations, withFileDb } from "./migrate.ts";

export type InitReport = {
  home: string;
  seedId: string;
  created: string[]; // what this run made, empty when nothing changed
  rootKeyPath: string;
  rootKey?: string; // only on the run that minted it
};

async function countMigrations(dbPath: string): Promise<number> {
  if (!existsSync(dbPath)) return 0;
  return withFileDb(dbPath, async (db) => {
    const t = await db.get<{ n: number }>(sql`select count(*) as n from sqlite_master where name = '__drizzle_migrations'`);
    if (!t || t.n === 0) return 0;
    return (await db.get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`))?.n ?? 0;
  });
}

export async function initHome(home: Home, now = Date.now()): Promise<InitReport> {
  const created: string[] = [];
  if (ensureDir(home.dir)) created.push("SEED_HOME");
  for (const d of [home.identityDir, home.keysDir, home.dbDir, home.doDir, home.runDir]) ensureDir(d);

  if (!existsSync(home.masterKey)) {
    writeSecretFile(home.masterKey, randomBytes(32));
    created.push("master.key");
  }
  const { identity: id, created: newIdentity } = ensureIdentity(home);
  if (newIdentity) created.push("identity");

  if (!existsSync(home.dbToken)) {
    writeSecretFile(home.dbToken, randomHex(32));
    created.push("keys/db.token");
  }

  const before = await countMigrations(home.db);
  await applyMigrations(home.db);
  const after = await countMigrations(home.db);
  if (after > before) created.push(`database (${after - before} migration${after - before === 1 ? "" : "s"} applied)`);

  let rootKey: string | undefined;
  await withFileDb(home.db, async (db) => {
    const row = await db.select().from(identity).get();
    if (!row) {
      await db.insert(identity).values({ seedId: id.seedId, publicKey: id.publicKey, createdAt: now });
      created.push("identity record");
    } else if (row.seedId !== id.seedId) {
      throw new Error(`the database belongs to ${row.seedId} but the identity files are ${id.seedId}: refusing to continue`);
    }

    if (existsSync(home.rootKey)) {
      // The file is the installer's copy; re-register it only if the database lost it entirely.
      const parsed = parseKey(readFileSync(home.rootKey, "utf8").trim());
      if (!parsed || parsed.kind !== "root") throw new Error(`${home.rootKey} does not hold a root key`);
      const known = await db.select({ id: keys.id }).from(keys).where(eq(keys.id, parsed.id)).get();
      if (!known) {
        await db.insert(keys).values({ id: parsed.id, kind: "root", name: "installer", secretHash: await sha256Hex(parsed.secret), createdAt: now });
        created.push("root key record (from keys/root.key)");
      }
    } else {
      const anyRoot = await db.select({ id: keys.id }).from(keys).where(eq(keys.kind, "root")).get();
      if (!anyRoot) {
        const k = await mintKey("root");
        writeSecretFile(home.rootKey, `${k.token}\n`);
        await db.insert(keys).values({ id: k.id, kind: "root", name: "installer", secretHash: k.secretHash, createdAt: now });
        created.push("keys/root.key");
        rootKey = k.token;
      }
    }
  });

  return { home: home.dir, seedId: id.seedId, created, rootKeyPath: home.rootKey, ...(rootKey ? { rootKey } : {}) };
}
