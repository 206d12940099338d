// The Worker's and the Durable Objects' libSQL client: @libsql/client over HTTP (Hrana) with drizzle,
// every request sent through the LIBSQL service binding, which the generated workerd config points
// at the libSQL server on loopback.
import { createClient } from "@libsql/client/web";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { drizzle } from "drizzle-orm/libsql/web";
import * as schema from "./schema.ts";

export type Db = LibSQLDatabase<typeof schema>;

/** What opening the database needs from the environment (a structural slice of workerd's Env). */
export type DbBindings = {
  LIBSQL: { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };
  SEED_DB_TOKEN: string;
};

// The host part is never resolved: the binding carries every request.
const LIBSQL_URL = "http://libsql.internal";

export function openDb(env: DbBindings): Db {
  const client = createClient({
    url: LIBSQL_URL,
    authToken: env.SEED_DB_TOKEN,
    fetch: (input: Request | string | URL, init?: RequestInit) => env.LIBSQL.fetch(input, init),
  });
  return drizzle(client, { schema });
}
