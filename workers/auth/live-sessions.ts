// Every place a key can hold a live session that outlasts one request. revokeKeys() closes the
// revoked keys' sessions in each before it returns, so nothing can still act on a revoked key.
// An organ that keeps sessions (the bus's WebSockets, MCP sessions, console sessions, the seed's
// own agents) adds one entry here: `close` ends every session of those keys and answers how many
// it ended; it must not return while a session of theirs can still act (a frame already received
// is refused, not run), and it must throw rather than return if it could not make sure. It is
// called again for keys already revoked (a retried revoke), so it must be idempotent.
import type { KeyKind } from "../../lib/keys.ts";
import { openDb } from "../../lib/db/client.ts";
import { closeKeySessions } from "../console/console-session.ts";
import { mcpSessions } from "../mcp/mcp-sessions.ts";
import { busStub } from "../../durable/bus/bus-stub.ts";

export type RevokedKey = { id: string; kind: KeyKind };

export type LiveSessions = {
  name: string;
  close(env: Env, keys: RevokedKey[]): Promise<number>;
};

export const LIVE_SESSIONS: LiveSessions[] = [
  {
    // The Bus remembers the ids durably and refuses them at the upgrade, at every frame and on
    // every call; when revokeKeys returns, no socket of theirs can act (durable/bus/revocations.ts).
    // A revoked root key's subscriptions pass to root (issue 9 item 11).
    name: "bus sockets",
    close: async (env, keys) => (await busStub(env).revokeKeys(keys)).closed,
  },
  {
    // In the Worker's memory (workers/mcp/mcp-sessions.ts): ending them is immediate.
    name: "MCP sessions",
    close: async (_env, keys) => mcpSessions.closeKeys(keys.map((k) => k.id)),
  },
  {
    // Rows in libSQL (workers/console/console-session.ts); each console request also re-checks the
    // key, so a session whose row survived a failed delete still ends at its next request.
    name: "console sessions",
    close: async (env, keys) => closeKeySessions(openDb(env), keys.map((k) => k.id)),
  },
];
