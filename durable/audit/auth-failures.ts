// Failed authentications, summed per client address per window, for the audit ledger. A flood of
// bad keys (or of wrong secrets for a real key id) must not write one row per attempt — anyone
// could grow the ledger without a key — and a forged token must never write a row in the name of
// the key id it claims. So each failure only adds to its address's open window (kept in the
// object's storage, so an evicted object loses nothing), and the ledger's alarm turns every open
// window into one `auth.failures` row: at most one row per address per window.
import type { AuditEntry } from "../../lib/audit/audit-chain.ts";
import { canonicalDetail } from "../../lib/audit/audit-chain.ts";

export const FAILURE_WINDOW_MS = 60_000;
/** Claimed key ids named in one summary (ids are not secrets; the count says if there were more). */
export const MAX_NAMED_KEY_IDS = 8;
/** Open windows at once; failures from further addresses share the window of address `*`. */
export const MAX_OPEN_WINDOWS = 1000;
const PREFIX = "authfail:";

export type AuthFailure = {
  /** The client address as workerd saw it; null when the request did not come through a socket. */
  address: string | null;
  /** The key id the token claimed (unverified), if it had the shape of a key. */
  claimedKeyId: string | null;
  /** Whether the limiter refused it (429) instead of answering 401/400. */
  shed: boolean;
  at: number;
};

type Window = { address: string; from: number; to: number; failed: number; shed: number; keyIds: string[]; moreKeyIds: number };

/** The storage calls used (structural, so the module is testable without a Durable Object). */
export type FailureStorage = {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T>(opts: { prefix: string }): Promise<Map<string, T>>;
};

export class AuthFailureWindows {
  readonly #storage: FailureStorage;
  #open: Map<string, Window> | null = null;

  constructor(storage: FailureStorage) {
    this.#storage = storage;
  }

  async #windows(): Promise<Map<string, Window>> {
    if (this.#open) return this.#open;
    const stored = await this.#storage.list<Window>({ prefix: PREFIX });
    // Another call may have loaded them while this one waited.
    this.#open ??= new Map([...stored.values()].map((w) => [w.address, w]));
    return this.#open;
  }

  /** Adds a failure to its address's open window; returns when the window closes (for the alarm). */
  async note(f: AuthFailure): Promise<number> {
    const open = await this.#windows();
    let address = f.address ?? "(no address)";
    if (!open.has(address) && open.size >= MAX_OPEN_WINDOWS) address = "*";
    let w = open.get(address);
    if (!w) {
      w = { address, from: f.at, to: f.at, failed: 0, shed: 0, keyIds: [], moreKeyIds: 0 };
      open.set(address, w);
    }
    w.failed++;
    if (f.shed) w.shed++;
    w.to = Math.max(w.to, f.at);
    if (f.claimedKeyId && !w.keyIds.includes(f.claimedKeyId)) {
      if (w.keyIds.length < MAX_NAMED_KEY_IDS) w.keyIds.push(f.claimedKeyId);
      else w.moreKeyIds++; // an over-count when the same extra id repeats; bounded memory matters more
    }
    await this.#storage.put(PREFIX + address, w);
    return this.due()!;
  }

  /** When the earliest open window closes; null when none is open. */
  due(): number | null {
    if (!this.#open || this.#open.size === 0) return null;
    let first = Infinity;
    for (const w of this.#open.values()) first = Math.min(first, w.from);
    return first + FAILURE_WINDOW_MS;
  }

  /**
   * Closes every open window: returns one ledger entry per address and a `done` to call once the
   * entries are committed (it forgets the windows) or `undo` if they were not (they stay open).
   */
  async close(): Promise<{ entries: AuditEntry[]; done: () => Promise<void>; undo: () => void }> {
    const open = await this.#windows();
    const closed = [...open.values()];
    open.clear();
    return {
      entries: closed.map(summaryEntry),
      done: async () => {
        // A failure that arrived meanwhile opened a new window under the same storage key: keep it.
        for (const w of closed) if (!open.has(w.address)) await this.#storage.delete(PREFIX + w.address);
      },
      undo: () => {
        for (const w of closed) {
          const now = open.get(w.address);
          if (!now) open.set(w.address, w);
          else {
            now.from = Math.min(now.from, w.from);
            now.failed += w.failed;
            now.shed += w.shed;
            for (const id of w.keyIds) if (!now.keyIds.includes(id) && now.keyIds.length < MAX_NAMED_KEY_IDS) now.keyIds.push(id);
            void this.#storage.put(PREFIX + w.address, now);
          }
        }
      },
    };
  }
}

function summaryEntry(w: Window): AuditEntry {
  const detail = { address: w.address, from: w.from, to: w.to, failed: w.failed, shed: w.shed, claimedKeyIds: w.keyIds, moreKeyIds: w.moreKeyIds };
  return { at: w.to, actor: "anonymous", keyId: null, action: "auth.failures", method: null, route: null, scope: null, status: null, detail: canonicalDetail(detail) };
}
