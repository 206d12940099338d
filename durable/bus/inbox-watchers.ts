// Inboxes whose agent lives inside the seed (an Agent object, issue 13). Such an agent sleeps with
// no socket and no timer; the bus wakes it after a commit that put a message in its inbox. The
// agent then pulls its inbox like any other agent. A lost wake-up is covered by the mind's
// dispatch lease (the task is dispatched again).
export class InboxWatchers {
  readonly #sql: SqlStorage;
  #watching: Set<string> | null = null;
  #pending = new Set<string>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS inbox_watchers (agent_id TEXT PRIMARY KEY)");
  }

  #set(): Set<string> {
    return (this.#watching ??= new Set(this.#sql.exec<{ agent_id: string }>("SELECT agent_id FROM inbox_watchers").toArray().map((r) => r.agent_id)));
  }

  set(agentId: string, watching: boolean): void {
    if (watching) this.#sql.exec("INSERT INTO inbox_watchers (agent_id) VALUES (?) ON CONFLICT DO NOTHING", agentId);
    else this.#sql.exec("DELETE FROM inbox_watchers WHERE agent_id = ?", agentId);
    if (watching) this.#set().add(agentId);
    else this.#set().delete(agentId);
  }

  /** After a committed inbox message: wake its agent (once per burst), without holding the commit. */
  committed(agentId: string, wake: (agentId: string) => Promise<void>): void {
    if (!this.#set().has(agentId) || this.#pending.has(agentId)) return;
    this.#pending.add(agentId);
    queueMicrotask(() => {
      this.#pending.delete(agentId);
      wake(agentId).catch(() => console.error("bus: could not wake an agent of the seed (the mind will dispatch its task again)"));
    });
  }
}
