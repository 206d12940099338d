// Applies the drizzle migrations straight to the database file (the server need not be running).
import { createClient } from "@libsql/client/node";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { pathToFileURL } from "node:url";
import path from "node:path";
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
  await withFileDb(dbPath, (db) => migrate(db, { migrationsFolder: MIGRATIONS }));
}
