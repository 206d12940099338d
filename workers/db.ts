import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import * as schema from "../lib/db/schema.ts";
import type { Bindings, Db } from "./app-env.ts";

// The host part is never resolved: every request goes through the LIBSQL service binding, which
// the generated workerd config points at the libSQL server on loopback.
const LIBSQL_URL = "http://libsql.internal";

export function openDb(env: Bindings): Db {
  const client = createClient({
    url: LIBSQL_URL,
    authToken: env.SEED_DB_TOKEN,
    fetch: (input: Request | string | URL, init?: RequestInit) => env.LIBSQL.fetch(input, init),
  });
  return drizzle(client, { schema });
}
