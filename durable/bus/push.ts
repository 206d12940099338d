// Push delivery over hibernatable WebSockets. What must survive hibernation (who the socket is,
// which subscriptions it follows and its window) lives in the socket's attachment; the in-flight
// leases per socket are kept in memory and simply start empty after a wake (leases still expire
// and redeliver, so nothing is lost).

export type SocketAttachment = { keyId: string; kind: "root" | "agent" | "helper"; scopes: string[]; subs: Record<string, number> };

export class PushState {
  readonly #inflight = new Map<WebSocket, Map<string, Map<number, string>>>(); // socket → sub → seq → ackId

  attachment(ws: WebSocket): SocketAttachment {
    return ws.deserializeAttachment() as SocketAttachment;
  }

  follow(ws: WebSocket, sub: string, window: number): void {
    const a = this.attachment(ws);
    a.subs[sub] = window;
    ws.serializeAttachment(a);
  }

  unfollow(ws: WebSocket, sub: string): void {
    const a = this.attachment(ws);
    delete a.subs[sub];
    ws.serializeAttachment(a);
    this.#inflight.get(ws)?.delete(sub);
  }

  forget(ws: WebSocket): void {
    this.#inflight.delete(ws);
  }

  #leases(ws: WebSocket, sub: string): Map<number, string> {
    let bySub = this.#inflight.get(ws);
    if (!bySub) this.#inflight.set(ws, (bySub = new Map()));
    let leases = bySub.get(sub);
    if (!leases) bySub.set(sub, (leases = new Map()));
    return leases;
  }

  credit(ws: WebSocket, sub: string): number {
    const window = this.attachment(ws).subs[sub] ?? 0;
    return window - this.#leases(ws, sub).size;
  }

  leased(ws: WebSocket, sub: string, leases: { seq: number; ackId: string }[]): void {
    const m = this.#leases(ws, sub);
    for (const l of leases) m.set(l.seq, l.ackId);
  }

  /** Frees window space for settled (acked, nacked or superseded) leases of any socket. */
  settled(sub: string, ackIds: string[]): void {
    for (const bySub of this.#inflight.values()) {
      const m = bySub.get(sub);
      if (!m) continue;
      for (const id of ackIds) {
        const seq = Number(id.split(".")[0]);
        if (m.get(seq) === id) m.delete(seq);
      }
    }
  }

  /** Drops leases whose deadline passed, so their window space is free again. */
  prune(sub: string, stillLeased: (seq: number, ackId: string) => boolean): void {
    for (const bySub of this.#inflight.values()) {
      const m = bySub.get(sub);
      if (!m) continue;
      for (const [seq, ackId] of m) if (!stillLeased(seq, ackId)) m.delete(seq);
    }
  }
}
