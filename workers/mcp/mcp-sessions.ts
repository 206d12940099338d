// MCP sessions of the door: which key opened which session. A session lives in the Worker's memory
// (workerd runs the seed's Worker in one isolate, like the failed-auth limiter): a restart ends
// every session, and the client opens a new one (404 on an unknown session, as the protocol says).
// Revoking a key ends its sessions at once (revokeKeys → closeKeys); and every request presents the
// key again, which is checked against libSQL, so a revoked key is refused even before that.
import { randomId } from "../../lib/keys.ts";

export type McpSession = { id: string; keyId: string; openedAt: number; lastSeenAt: number };

/** An idle session is forgotten after an hour; at most this many live at once (oldest idle out). */
export const IDLE_MS = 3_600_000;
export const MAX_SESSIONS = 10_000;

export class McpSessions {
  readonly #sessions = new Map<string, McpSession>();

  open(keyId: string, now: number): McpSession {
    this.#sweep(now);
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const s = { id: `mcp_${randomId(32)}`, keyId, openedAt: now, lastSeenAt: now };
    this.#sessions.set(s.id, s);
    return s;
  }

  /** The session if it exists, is not idle out and belongs to this key; it counts as seen. */
  use(id: string, keyId: string, now: number): McpSession | null {
    const s = this.#sessions.get(id);
    if (!s || s.keyId !== keyId || now - s.lastSeenAt > IDLE_MS) return null;
    s.lastSeenAt = now;
    // Re-insert: the map's order is least recently seen first.
    this.#sessions.delete(id);
    this.#sessions.set(id, s);
    return s;
  }

  close(id: string, keyId: string): boolean {
    const s = this.#sessions.get(id);
    if (!s || s.keyId !== keyId) return false;
    return this.#sessions.delete(id);
  }

  /** Ends every session of these keys; how many there were. */
  closeKeys(keyIds: readonly string[]): number {
    const ids = new Set(keyIds);
    let n = 0;
    for (const [id, s] of this.#sessions) if (ids.has(s.keyId) && this.#sessions.delete(id)) n++;
    return n;
  }

  count(keyId?: string): number {
    if (keyId === undefined) return this.#sessions.size;
    let n = 0;
    for (const s of this.#sessions.values()) if (s.keyId === keyId) n++;
    return n;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) {
      if (now - s.lastSeenAt <= IDLE_MS) break; // ordered by last seen: the rest are fresher
      this.#sessions.delete(id);
    }
  }
}

/** The Worker's one registry. */
export const mcpSessions = new McpSessions();
