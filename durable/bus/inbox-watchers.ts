// Inboxes whose agent lives inside the seed (an Agent object, issue 13). Such an agent sleeps with
// no socket and no timer; the bus wakes it (once per commit) after a commit that put a message in
// its inbox. The agent then pulls its inbox like any other agent. A lost wake-up is covered by the
// mind's dispatch lease (the task is dispatched again).

export class InboxWatchers {
  readonly #sql: SqlStorage;
  readonly #ids: Set<string>;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#ids = new Set(sql.exec<{ agent_id: string }>("SELECT agent_id FROM inbox_watchers").toArray().map((r) => r.agent_id));
  }

  has(agentId: string): boolean {
    return this.#ids.has(agentId);
  }

  set(agentId: string, watching: boolean): void {
    if (watching) {
      this.#sql.exec("INSERT OR IGNORE INTO inbox_watchers (agent_id) VALUES (?)", agentId);
      this.#ids.add(agentId);
    } else {
      this.#sql.exec("DELETE FROM inbox_watchers WHERE agent_id = ?", agentId);
      this.#ids.delete(agentId);
    }
  }
}
