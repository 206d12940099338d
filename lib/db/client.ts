// The Worker's and the Durable Objects' libSQL client: @libsql/client over HTTP (Hrana) with drizzle,
// every request sent through the LIBSQL service binding, which the generated workerd config points
// at the libSQL server on loopback.
import { createClient, type Client } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { drizzle } from "drizzle-orm/libsql/web";
import * as schema from "./schema.ts";

export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

/** What opening the database needs from the environment (a structural slice of workerd's Env). */
export type DbBindings = {
  LIBSQL: { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };
  SEED_DB_TOKEN: string;
};

// The host part is never resolved: the binding carries every request.
const LIBSQL_URL = "http://libsql.internal";

// One client per isolate and environment, not per request: creating one (drizzle walks the whole
// schema) was 10% of workerd's CPU on an authenticated request (bench/auth.ts profile). The
// client holds no state between statements (each opens its own Hrana stream), so sharing it is
// safe; a rotated token restarts workerd and so gets a new environment.
const opened = new WeakMap<object, { token: string; db: Db }>();

export function openDb(env: DbBindings): Db {
  const hit = opened.get(env.LIBSQL);
  if (hit && hit.token === env.SEED_DB_TOKEN) return hit.db;
  const client = createClient({
    url: LIBSQL_URL,
    authToken: env.SEED_DB_TOKEN,
    fetch: (input: Request | string | URL, init?: RequestInit) => env.LIBSQL.fetch(input, init),
    // The client's default of 20 statements in flight would queue every other request behind them.
    concurrency: 100_000,
  });
  const db = drizzle(client, { schema });
  opened.set(env.LIBSQL, { token: env.SEED_DB_TOKEN, db });
  return db;
}
