// Everything the mind reaches outside its own SQLite: the agent registry (libSQL), the bus (agents'
// inboxes and the alerts topic), the owner's LLM binding and its credential. One object, so a test
// can replace a piece of the world (e.g. make the registry fail) without touching the logic.
import { isNull } from "drizzle-orm";
import { agents } from "../../lib/db/schema.ts";
import type { BusResult, Published, PublishInput } from "../../lib/bus/wire.ts";
import { getCredential, masterKeyFromHex } from "../../lib/credentials.ts";
import { openDb } from "../../lib/db/client.ts";
import { busStub } from "../bus/bus-stub.ts";

export const ALERT_TOPIC = "seed.alerts";
/** The mind speaks on the bus as an organ, not as any agent's key. */
export const MIND_SENDER = "mind";

export type LiveAgent = { id: string; name: string; capabilities: string[] };

export type MindIo = {
  listAgents(): Promise<LiveAgent[]>;
  sendToInbox(agentId: string, message: PublishInput): Promise<BusResult<Published>>;
  publishAlerts(messages: PublishInput[]): Promise<BusResult<Published[]>>;
  llm(): Fetcher | undefined;
  /** An outbound service the owner declared (`seed services set NAME`); undefined when it is not. */
  service(name: string): Fetcher | undefined;
  credential(name: string): Promise<{ host: string; secret: string } | null>;
  masterKey(): Uint8Array;
};

export function liveIo(env: Env): MindIo {
  const bus = () => busStub(env);
  let master: Uint8Array | null = null;
  return {
    async listAgents() {
      const rows = await openDb(env).select({ id: agents.id, name: agents.name, capabilities: agents.capabilities }).from(agents).where(isNull(agents.removedAt)).all();
      return rows;
    },
    sendToInbox: (agentId, message) => bus().sendToInbox(MIND_SENDER, agentId, message),
    publishAlerts: (messages) => bus().publish({ keyId: MIND_SENDER, kind: "agent", scopes: [] }, ALERT_TOPIC, messages),
    llm: () => env.LLM,
    service: (name) => {
      // Only the owner's declared services are bindings of this shape; the seed's own are refused.
      if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(name) || ["LIBSQL", "BUS", "MIND", "AUDIT"].includes(name) || name.startsWith("SEED_")) return undefined;
      const b = (env as unknown as Record<string, unknown>)[name];
      return b && typeof (b as Fetcher).fetch === "function" ? (b as Fetcher) : undefined;
    },
    credential: (name) => getCredential(openDb(env), masterKeyFromHex(env.SEED_MASTER_KEY), name),
    masterKey: () => (master ??= masterKeyFromHex(env.SEED_MASTER_KEY)),
  };
}
