import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { Agent } from "../durable/agent/agent.ts";
import type { AuditLedger } from "../durable/audit/audit-ledger.ts";
import type { Bus } from "../durable/bus/bus.ts";
import type { Mind } from "../durable/mind/mind.ts";
import type * as schema from "../lib/db/schema.ts";

/** The bindings as the code uses them: wrangler types plus the secret and the typed DO classes. */
export type Bindings = Omit<Env, "BUS" | "MIND" | "AGENT"> & {
  BUS: DurableObjectNamespace<Bus>;
  MIND: DurableObjectNamespace<Mind>;
  /** The audit ledger's single writer (durable/audit). */
  AUDIT: DurableObjectNamespace<AuditLedger>;
  /** The seed's own agents (durable/agent), one object per agent id. */
  AGENT: DurableObjectNamespace<Agent>;
  /** The services the owner declared, as JSON `{NAME: {url, credential?}}` (no secrets). */
  SEED_SERVICES?: string;
  /** Bearer token of the libSQL server; from the environment, never in the config file. */
  SEED_DB_TOKEN: string;
  /** master.key as hex: decrypts credentials. From the environment, never in the config file. */
  SEED_MASTER_KEY: string;
  /** The seed's Ed25519 private key, PKCS8 DER in base64: signs audit checkpoints. From the environment. */
  SEED_IDENTITY_KEY?: string;
  /** Outbound services the owner configured (`seed services set`); absent unless configured. */
  LLM?: Fetcher;
  EMBEDDINGS?: Fetcher;
};

export type Db = LibSQLDatabase<typeof schema>;

export type Caller = { kind: "root" | "agent" | "helper"; keyId: string; name: string; scopes: string[] };

export type AppEnv = { Bindings: Bindings; Variables: { db: Db; caller: Caller; /** The scope a helper request was checked against (audited). */ membraneScope?: string } };
