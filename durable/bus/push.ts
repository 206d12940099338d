// Push delivery over hibernatable WebSockets. What must survive hibernation (who the socket is,
// which subscriptions it follows and its window) lives in the socket's attachment; the in-flight
// leases per socket are kept in memory and simply start empty after a wake (leases still expire
// and redeliver, so nothing is lost).
import { ackIdSeq, pushCredit } from "../../lib/bus/lease.ts";

/** `subs` maps a followed subscription's row id to the socket's window for it. */
export type SocketAttachment = { keyId: string; kind: "root" | "agent" | "helper"; scopes: string[]; subs: Record<string, number> };

export class PushState {
  readonly #inflight = new Map<WebSocket, Map<number, Map<number, string>>>(); // socket → sub → seq → ackId

  // Deserialising the attachment on every frame was 4% of the Bus's CPU: it is read once per
  // socket (again after a wake, when this map starts empty) and written through on every change.
  readonly #attachments = new WeakMap<WebSocket, SocketAttachment>();

  attachment(ws: WebSocket): SocketAttachment {
    let a = this.#attachments.get(ws);
    if (!a) this.#attachments.set(ws, (a = ws.deserializeAttachment() as SocketAttachment));
    return a;
  }

  follow(ws: WebSocket, sub: number, window: number): void {
    const a = this.attachment(ws);
    this.#store(ws, { ...a, subs: { ...a.subs, [String(sub)]: window } });
  }

  unfollow(ws: WebSocket, sub: number): void {
    const a = this.attachment(ws);
    const subs = { ...a.subs };
    delete subs[String(sub)];
    this.#store(ws, { ...a, subs });
    this.#inflight.get(ws)?.delete(sub);
  }

  /** Serialised first: if workerd refuses it (too large), nothing changes. */
  #store(ws: WebSocket, a: SocketAttachment): void {
    ws.serializeAttachment(a);
    this.#attachments.set(ws, a);
  }

  forget(ws: WebSocket): void {
    this.#inflight.delete(ws);
    this.#attachments.delete(ws);
  }

  #leases(ws: WebSocket, sub: number): Map<number, string> {
    let bySub = this.#inflight.get(ws);
    if (!bySub) this.#inflight.set(ws, (bySub = new Map()));
    let leases = bySub.get(sub);
    if (!leases) bySub.set(sub, (leases = new Map()));
    return leases;
  }

  credit(ws: WebSocket, sub: number): number {
    return pushCredit(this.attachment(ws).subs[String(sub)] ?? 0, this.#leases(ws, sub).size);
  }

  leased(ws: WebSocket, sub: number, leases: { seq: number; ackId: string }[]): void {
    const m = this.#leases(ws, sub);
    for (const l of leases) m.set(l.seq, l.ackId);
  }

  /** Frees window space for settled (acked, nacked or superseded) leases of any socket. */
  settled(sub: number, ackIds: string[]): void {
    for (const bySub of this.#inflight.values()) {
      const m = bySub.get(sub);
      if (!m) continue;
      for (const id of ackIds) {
        const seq = ackIdSeq(id);
        if (seq !== null && m.get(seq) === id) m.delete(seq);
      }
    }
  }

  /** Drops leases that are no longer held, so their window space is free again. */
  prune(sub: number, stillLeased: (seq: number, ackId: string) => boolean): void {
    for (const bySub of this.#inflight.values()) {
      const m = bySub.get(sub);
      if (!m) continue;
      for (const [seq, ackId] of m) if (!stillLeased(seq, ackId)) m.delete(seq);
    }
  }
}
