import { DurableObject } from "cloudflare:workers";
import type { AckResult, BusCaller, BusResult, ClientFrame, Delivered, Published, PublishInput, ServerFrame, SubscriptionInfo, SubscriptionInput, SubscriptionStats } from "../../lib/bus/wire.ts";
import { ClientFrame as ClientFrameSchema, INBOX } from "../../lib/bus/wire.ts";
import { scopeGrants } from "../../lib/scopes.ts";
import { BUS_SCHEMA } from "./bus-schema.ts";
import { BusFailure, BusStore, inboxSubscription, inboxTopic } from "./bus-store.ts";
import { PushState, type SocketAttachment } from "./push.ts";

export type Ping = { object: "bus" | "mind"; ok: true; at: number };

const DEFAULT_WINDOW = 100;

function run<T>(fn: () => T): BusResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof BusFailure) return { ok: false, error: err.error };
    throw err;
  }
}

/**
 * The seed's message bus: durable topics, subscriptions with leases, redelivery and dead letters,
 * long-poll pull and push over hibernatable WebSockets. Storage logic is in BusStore.
 */
export class Bus extends DurableObject<Env> {
  /** Replaceable in tests to drive time; production reads the wall clock. */
  clock = { now: () => Date.now() };
  readonly store: BusStore;
  readonly #push = new PushState();
  readonly #waiters = new Map<string, Set<() => void>>();
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const stmt of BUS_SCHEMA) ctx.storage.sql.exec(stmt);
    this.store = new BusStore(ctx.storage.sql, () => this.clock.now());
  }

  ping(): Ping {
    return { object: "bus", ok: true, at: Date.now() };
  }

  // ---- RPC used by the Worker's HTTP routes (and the Mind)

  publish(caller: BusCaller, topic: string, messages: PublishInput[]): BusResult<Published[]> {
    const r = run(() => {
      checkTopicAccess(caller, topic, "publish");
      return this.ctx.storage.transactionSync(() => this.store.publish(caller.keyId, topic, messages));
    });
    if (r.ok) this.#published(topic);
    return r;
  }

  /** A direct message to an agent's inbox. `from` is the sender's key id (or an organ's name). */
  sendToInbox(from: string, agentId: string, message: PublishInput): BusResult<Published> {
    const topic = inboxTopic(agentId);
    const r = run(() => this.ctx.storage.transactionSync(() => this.store.publish(from, topic, [message])[0]!));
    if (r.ok) this.#published(topic);
    return r;
  }

  putTopic(caller: BusCaller, topic: string, retention: { maxAgeMs?: number | null; maxMessages?: number | null }) {
    return run(() => {
      checkTopicAccess(caller, topic, "publish");
      return this.ctx.storage.transactionSync(() => this.store.setRetention(topic, retention.maxAgeMs, retention.maxMessages));
    });
  }

  putSubscription(caller: BusCaller, name: string, input: SubscriptionInput): BusResult<{ info: SubscriptionInfo; created: boolean }> {
    return run(() => {
      if (name === INBOX) throw new BusFailure(409, "reserved_subscription", "the inbox subscription is managed by the bus");
      checkTopicAccess(caller, input.topic, "read");
      return this.ctx.storage.transactionSync(() => this.store.putSubscription(caller.keyId, name, input));
    });
  }

  deleteSubscription(caller: BusCaller, name: string): BusResult<{ deleted: true }> {
    return run(() => {
      this.store.deleteSubscription(caller.keyId, this.#resolve(caller, name));
      return { deleted: true as const };
    });
  }

  listSubscriptions(caller: BusCaller): BusResult<SubscriptionInfo[]> {
    return run(() => this.store.listSubscriptions(caller.keyId));
  }

  async pull(caller: BusCaller, name: string, max: number, waitMs: number): Promise<BusResult<Delivered[]>> {
    const first = run(() => this.#pullNow(caller, name, max));
    if (!first.ok || first.value.length > 0 || waitMs <= 0) return first;
    const sub = this.#resolve(caller, name);
    await new Promise<void>((resolve) => {
      const set = this.#waiters.get(sub) ?? new Set();
      this.#waiters.set(sub, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      set.add(done);
    });
    return run(() => this.#pullNow(caller, name, max));
  }

  ack(caller: BusCaller, name: string, ackIds: string[]): BusResult<AckResult[]> {
    return run(() => {
      const sub = this.#resolve(caller, name);
      this.store.owned(sub, caller.keyId);
      const results = this.ctx.storage.transactionSync(() => this.store.ack(sub, ackIds));
      this.#push.settled(sub, ackIds);
      return results;
    });
  }

  nack(caller: BusCaller, name: string, ackIds: string[], delayMs?: number): BusResult<AckResult[]> {
    const r = run(() => {
      const sub = this.#resolve(caller, name);
      this.store.owned(sub, caller.keyId);
      const results = this.ctx.storage.transactionSync(() => this.store.nack(sub, ackIds, delayMs));
      this.#push.settled(sub, ackIds);
      return { sub, results };
    });
    if (!r.ok) return r;
    this.#available(r.value.sub);
    this.#armAlarm();
    return { ok: true, value: r.value.results };
  }

  seek(caller: BusCaller, name: string, to: { seq: number } | { time: number }): BusResult<SubscriptionInfo> {
    const r = run(() => {
      const sub = this.#resolve(caller, name);
      return { sub, info: this.ctx.storage.transactionSync(() => this.store.seek(caller.keyId, sub, to)) };
    });
    if (!r.ok) return r;
    this.#push.prune(r.value.sub, () => false);
    this.#available(r.value.sub);
    return { ok: true, value: r.value.info };
  }

  stats(caller: BusCaller, name: string): BusResult<SubscriptionStats> {
    return run(() => this.store.stats(caller.keyId, this.#resolve(caller, name)));
  }

  /** Closes every WebSocket opened with a key that was just revoked (agent or helper). */
  disconnectKey(keyId: string): number {
    const sockets = this.ctx.getWebSockets(`key:${keyId}`);
    for (const ws of sockets) ws.close(4001, "key revoked");
    return sockets.length;
  }

  // ---- WebSocket push

  /** The Worker authenticated the upgrade and passes who it is in internal headers. */
  override async fetch(request: Request): Promise<Response> {
    const caller = JSON.parse(request.headers.get("x-seed-caller") ?? "null") as BusCaller | null;
    if (!caller || request.headers.get("Upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [`key:${caller.keyId}`]);
    server.serializeAttachment({ keyId: caller.keyId, kind: caller.kind, scopes: caller.scopes, subs: {} } satisfies SocketAttachment);
    const protocol = request.headers.get("x-seed-protocol");
    return new Response(null, { status: 101, webSocket: client, headers: protocol ? { "Sec-WebSocket-Protocol": protocol } : {} });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    let frame: ClientFrame;
    try {
      const parsed = ClientFrameSchema.safeParse(JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data)));
      if (!parsed.success) return send(ws, { type: "error", code: "invalid_frame", message: parsed.error.issues[0]!.message });
      frame = parsed.data;
    } catch {
      return send(ws, { type: "error", code: "invalid_json", message: "frame is not valid JSON" });
    }
    const a = this.#push.attachment(ws);
    const caller: BusCaller = { keyId: a.keyId, kind: a.kind, scopes: a.scopes };
    switch (frame.type) {
      case "ping":
        return send(ws, { type: "pong" });
      case "publish": {
        const r = this.publish(caller, frame.topic, frame.messages);
        return send(ws, r.ok ? { type: "published", ref: frame.ref, results: r.value } : { type: "error", ref: frame.ref, ...r.error });
      }
      case "subscribe": {
        const r = run(() => {
          const sub = this.#resolve(caller, frame.subscription);
          this.store.owned(sub, caller.keyId);
          return sub;
        });
        if (!r.ok) return send(ws, { type: "error", ...r.error });
        const window = frame.window ?? DEFAULT_WINDOW;
        this.#push.follow(ws, r.value, window);
        send(ws, { type: "subscribed", subscription: frame.subscription, window });
        return this.#pump(r.value);
      }
      case "unsubscribe": {
        this.#push.unfollow(ws, this.#resolve(caller, frame.subscription));
        return send(ws, { type: "unsubscribed", subscription: frame.subscription });
      }
      case "ack": {
        const r = this.ack(caller, frame.subscription, frame.ackIds);
        if (!r.ok) return send(ws, { type: "error", ...r.error });
        send(ws, { type: "acked", subscription: frame.subscription, results: r.value });
        return this.#pump(this.#resolve(caller, frame.subscription));
      }
      case "nack": {
        const r = this.nack(caller, frame.subscription, frame.ackIds, frame.delayMs);
        if (!r.ok) return send(ws, { type: "error", ...r.error });
        return send(ws, { type: "acked", subscription: frame.subscription, results: r.value });
      }
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#push.forget(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#push.forget(ws);
  }

  // ---- time: lease expiry and retention

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    try {
      this.ctx.storage.transactionSync(() => this.store.sweep());
      for (const sub of this.store.dueSubscriptions()) {
        this.#push.prune(sub, (seq, ackId) => this.#stillLeased(sub, seq, ackId));
        this.#available(sub);
      }
    } finally {
      this.#armAlarm();
    }
  }

  #stillLeased(sub: string, seq: number, ackId: string): boolean {
    const row = this.ctx.storage.sql.exec<{ ok: number }>(
      "SELECT 1 AS ok FROM deliveries WHERE sub = ? AND seq = ? AND ack_id = ? AND visible_at > ?",
      sub, seq, ackId, this.clock.now(),
    ).toArray();
    return row.length > 0;
  }

  /** One alarm, for the earliest lease expiry or retention deadline; re-armed after each change. */
  #armAlarm(): void {
    const candidates = [this.store.nextDueAt(), this.store.nextRetentionAt()].filter((x): x is number => x !== null);
    const next = candidates.length ? Math.min(...candidates) : null;
    if (next === this.#alarmAt) return;
    if (next === null) {
      if (this.#alarmAt !== null) void this.ctx.storage.deleteAlarm();
    } else if (this.#alarmAt === undefined || this.#alarmAt === null || next < this.#alarmAt) {
      void this.ctx.storage.setAlarm(next);
    } else {
      return; // an earlier alarm is armed; it re-arms for this one when it fires
    }
    this.#alarmAt = next;
  }

  // ---- helpers

  #resolve(caller: BusCaller, name: string): string {
    if (name !== INBOX) return name;
    const sub = inboxSubscription(caller.keyId);
    if (!this.store.exists(sub)) {
      this.ctx.storage.transactionSync(() => this.store.putSubscription(caller.keyId, sub, { topic: inboxTopic(caller.keyId), startAt: "earliest" }));
    }
    return sub;
  }

  #pullNow(caller: BusCaller, name: string, max: number): Delivered[] {
    const sub = this.#resolve(caller, name);
    this.store.owned(sub, caller.keyId);
    const out = this.ctx.storage.transactionSync(() => this.store.pull(sub, max));
    if (out.length > 0) this.#armAlarm();
    return out;
  }

  #published(topic: string): void {
    for (const sub of this.store.subscriptionsOf(topic)) this.#available(sub);
    if (this.#alarmAt === undefined) this.#armAlarm();
  }

  /** Messages may be available on `sub`: wake its long-polls and feed its sockets. */
  #available(sub: string): void {
    const waiters = this.#waiters.get(sub);
    if (waiters) for (const w of [...waiters]) w();
    this.#pump(sub);
  }

  #pump(sub: string): void {
    const sockets = this.ctx.getWebSockets().filter((ws) => sub in this.#push.attachment(ws).subs);
    if (sockets.length === 0) return;
    let leasedAny = false;
    for (const ws of sockets) {
      const credit = this.#push.credit(ws, sub);
      if (credit <= 0) continue;
      const messages = this.ctx.storage.transactionSync(() => this.store.pull(sub, credit));
      if (messages.length === 0) break;
      leasedAny = true;
      this.#push.leased(ws, sub, messages);
      send(ws, { type: "messages", subscription: sub.startsWith("inbox:") ? INBOX : sub, messages });
    }
    if (leasedAny) this.#armAlarm();
  }
}

function send(ws: WebSocket, frame: ServerFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // The socket closed under us; its leases expire and are redelivered.
  }
}

/** Agents and the owner may use any topic; helpers need `bus:<verb>:<topic-glob>`; inboxes are private. */
function checkTopicAccess(caller: BusCaller, topic: string, verb: "publish" | "read"): void {
  if (topic.startsWith("inbox.")) throw new BusFailure(403, "reserved_topic", "inbox topics are reached through /v1/bus/agents/:id/inbox");
  if (caller.kind === "helper" && !caller.scopes.some((s) => scopeGrants(s, `bus:${verb}:${topic}`))) {
    throw new BusFailure(403, "missing_scope", `this key lacks the scope bus:${verb}:${topic}`);
  }
}
