import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { Bus } from "../durable/bus/bus.ts";
import type { Mind } from "../durable/mind/mind.ts";
import type * as schema from "../lib/db/schema.ts";

/** The bindings as the code uses them: wrangler types plus the secret and the typed DO classes. */
export type Bindings = Omit<Env, "BUS" | "MIND"> & {
  BUS: DurableObjectNamespace<Bus>;
  MIND: DurableObjectNamespace<Mind>;
  /** Bearer token of the libSQL server; from the environment, never in the config file. */
  SEED_DB_TOKEN: string;
  /** master.key as hex: decrypts credentials. From the environment, never in the config file. */
  SEED_MASTER_KEY: string;
  /** Outbound services the owner configured (`seed services set`); absent unless configured. */
  LLM?: Fetcher;
  EMBEDDINGS?: Fetcher;
};

export type Db = LibSQLDatabase<typeof schema>;

export type Caller = { kind: "root" | "agent" | "helper"; keyId: string; name: string; scopes: string[] };

export type AppEnv = { Bindings: Bindings; Variables: { db: Db; caller: Caller } };
