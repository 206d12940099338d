// Applies the drizzle migrations straight to the database file (the server need not be running).
import { createClient } from "@libsql/client/node";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { alignVectorIndexes } from "../../lib/memory/memory-index.ts";
import type { AnyDb } from "../../lib/memory/memory-types.ts";
import { ROOT } from "../workerd-config/build-worker.ts";

export const MIGRATIONS = path.join(ROOT, "migrations");

export async function withFileDb<T>(dbPath: string, fn: (db: ReturnType<typeof drizzle>) => Promise<T>): Promise<T> {
  const client = createClient({ url: pathToFileURL(dbPath).href });
  try {
    await client.execute("PRAGMA journal_mode=WAL");
    return await fn(drizzle(client));
  } finally {
    client.close();
  }
}

export async function applyMigrations(dbPath: string): Promise<void> {
  await withFileDb(dbPath, async (db) => {
    await migrate(db, { migrationsFolder: MIGRATIONS });
    // Memory's vector index options live in code (lib/memory/memory-index.ts explains why).
    await alignVectorIndexes(db as unknown as AnyDb);
  });
}
