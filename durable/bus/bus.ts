import { DurableObject } from "cloudflare:workers";
import type { AckResult, BusCaller, BusResult, ClientFrame, Delivered, Published, PublishInput, ServerFrame, SubscriptionInfo, SubscriptionInput, SubscriptionStats } from "../../lib/bus/wire.ts";
import { ClientFrame as ClientFrameSchema, INBOX } from "../../lib/bus/wire.ts";
import { scopeGrants } from "../../lib/scopes.ts";
import { run } from "../../lib/rpc-result.ts";
import { BUS_SCHEMA } from "./bus-schema.ts";
import { BusFailure, BusStore, inboxSubscription, inboxTopic } from "./bus-store.ts";
import { InboxWatchers } from "./inbox-watchers.ts";
import { PushState, type SocketAttachment } from "./push.ts";

export type Ping = { object: "bus" | "mind"; ok: true; at: number };

const DEFAULT_WINDOW = 100;


/**
 * The seed's message bus: durable topics, subscriptions with leases, redelivery and dead letters,
 * long-poll pull and push over hibernatable WebSockets. Storage logic is in BusStore.
 */
export class Bus extends DurableObject<Env> {
  /** Replaceable in tests to drive time; production reads the wall clock. */
  clock = { now: () => Date.now() };
  readonly store: BusStore;
  readonly #watchers: InboxWatchers;
  readonly #push = new PushState();
  readonly #waiters = new Map<string, Set<() => void>>();
  #alarmAt: number | null | undefined = undefined;
  /** Writes waiting for the next group commit; whether a commit round is running. */
  #queue: { fn: () => unknown; resolve: (r: BusResult<unknown>) => void; reject: (e: unknown) => void }[] = [];
  #flushing = false;
  /** Subscriptions a write made available: fed to sockets in the same commit, long-polls after it. */
  #touched = new Set<string>();
  #wake: string[] = [];
  /** Which sockets follow which subscription; rebuilt from attachments after a wake. */
  #followers: Map<string, Set<WebSocket>> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const stmt of BUS_SCHEMA) ctx.storage.sql.exec(stmt);
    this.store = new BusStore(ctx.storage.sql, () => this.clock.now());
    this.#watchers = new InboxWatchers(ctx.storage.sql);
  }

  ping(): Ping {
    return { object: "bus", ok: true, at: Date.now() };
  }

  // ---- group commit

  /**
   * Queues a write for the next group commit. While one commit is being made durable, new writes
   * gather; each round commits all of them in one storage transaction (each in its own savepoint,
   * so one failure does not undo the others). Replies leave only after their commit: the output
   * gate holds them.
   */
  #write<T>(fn: () => T): Promise<BusResult<T>> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (r: BusResult<unknown>) => void, reject });
      if (!this.#flushing) void this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    this.#flushing = true;
    try {
      await Promise.resolve(); // writes queued in this same turn join the first round
      while (this.#queue.length > 0) {
        this.#flush();
        await this.ctx.storage.sync();
      }
    } finally {
      this.#flushing = false;
    }
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    const settle: (() => void)[] = [];
    try {
      this.ctx.storage.transactionSync(() => {
        for (const item of batch) {
          try {
            const value = this.ctx.storage.transactionSync(item.fn);
            settle.push(() => item.resolve({ ok: true, value }));
          } catch (err) {
            // The item's savepoint is rolled back; the others still commit.
            settle.push(err instanceof BusFailure ? () => item.resolve({ ok: false, error: err.error }) : () => item.reject(err));
          }
        }
        // Feed sockets in the same commit as the writes that made messages available.
        const touched = [...this.#touched];
        this.#touched.clear();
        for (const sub of touched) this.#pump(sub);
      });
    } catch (err) {
      // The commit itself failed (storage error): nothing of this round was kept.
      this.#touched.clear();
      this.#wake.length = 0;
      for (const item of batch) item.reject(err);
      return;
    }
    this.#armAlarm();
    for (const s of settle) s();
    for (const sub of this.#wake.splice(0)) this.#wakeWaiters(sub);
  }

  // ---- RPC used by the Worker's HTTP routes (and the Mind)

  publish(caller: BusCaller, topic: string, messages: PublishInput[]): Promise<BusResult<Published[]>> {
    return this.#write(() => {
      checkTopicAccess(caller, topic, "publish");
      const out = this.store.publish(caller.keyId, topic, messages);
      this.#published(topic);
      return out;
    });
  }

  /** A direct message to an agent's inbox. `from` is the sender's key id (or an organ's name). */
  async sendToInbox(from: string, agentId: string, message: PublishInput): Promise<BusResult<Published>> {
    const topic = inboxTopic(agentId);
    const r = await this.#write(() => {
      const [out] = this.store.publish(from, topic, [message]);
      this.#published(topic);
      return out!;
    });
    if (r.ok) this.#watchers.committed(agentId, (id) => this.env.AGENT.get(this.env.AGENT.idFromName(id)).inboxReady(id));
    return r;
  }

  /** An agent that lives inside the seed (issue 13): wake its object when its inbox gets a message. */
  watchInbox(agentId: string, watching: boolean): void {
    this.#watchers.set(agentId, watching);
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

  deleteSubscription(caller: BusCaller, name: string): Promise<BusResult<{ deleted: true }>> {
    return this.#write(() => {
      this.store.deleteSubscription(caller.keyId, this.#resolve(caller, name));
      return { deleted: true as const };
    });
  }

  listSubscriptions(caller: BusCaller): BusResult<SubscriptionInfo[]> {
    return run(() => this.store.listSubscriptions(caller.keyId));
  }

  async pull(caller: BusCaller, name: string, max: number, waitMs: number): Promise<BusResult<Delivered[]>> {
    const first = await this.#write(() => this.#pullNow(caller, name, max));
    if (!first.ok || first.value.length > 0 || waitMs <= 0) return first;
    const sub = this.#resolve(caller, name);
    // A publish may have committed between the first attempt and now: look before waiting.
    if (this.store.hasAvailable(sub)) return this.#write(() => this.#pullNow(caller, name, max));
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
    return this.#write(() => this.#pullNow(caller, name, max));
  }

  ack(caller: BusCaller, name: string, ackIds: string[]): Promise<BusResult<AckResult[]>> {
    return this.#write(() => {
      const sub = this.#resolve(caller, name);
      this.store.owned(sub, caller.keyId);
      const results = this.store.ack(sub, ackIds);
      this.#push.settled(sub, ackIds);
      this.#touched.add(sub); // window space freed: the sockets may take more
      return results;
    });
  }

  nack(caller: BusCaller, name: string, ackIds: string[], delayMs?: number): Promise<BusResult<AckResult[]>> {
    return this.#write(() => {
      const sub = this.#resolve(caller, name);
      this.store.owned(sub, caller.keyId);
      const results = this.store.nack(sub, ackIds, delayMs);
      this.#push.settled(sub, ackIds);
      this.#available(sub);
      return results;
    });
  }

  seek(caller: BusCaller, name: string, to: { seq: number } | { time: number }): Promise<BusResult<SubscriptionInfo>> {
    return this.#write(() => {
      const sub = this.#resolve(caller, name);
      const info = this.store.seek(caller.keyId, sub, to);
      this.#push.prune(sub, () => false);
      this.#available(sub);
      return info;
    });
  }

  stats(caller: BusCaller, name: string): BusResult<SubscriptionStats> {
    return run(() => this.store.stats(caller.keyId, this.#resolve(caller, name)));
  }

  /** Closes every WebSocket opened with a key that was just revoked (agent or helper). */
  disconnectKey(keyId: string): number {
    const sockets = this.ctx.getWebSockets(`key:${keyId}`);
    for (const ws of sockets) {
      // A frame first: clients learn at once, while the TCP close can lag behind the close frame.
      send(ws, { type: "error", code: "key_revoked", message: "this key was revoked; the socket is closed" });
      ws.close(4001, "key revoked");
    }
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
        const r = await this.publish(caller, frame.topic, frame.messages);
        return send(ws, r.ok ? { type: "published", ref: frame.ref, results: r.value } : { type: "error", ref: frame.ref, ...r.error });
      }
      case "subscribe": {
        const window = frame.window ?? DEFAULT_WINDOW;
        const r = await this.#write(() => {
          const sub = this.#resolve(caller, frame.subscription);
          this.store.owned(sub, caller.keyId);
          this.#push.follow(ws, sub, window);
          this.#followersOf(sub).add(ws);
          send(ws, { type: "subscribed", subscription: frame.subscription, window });
          this.#touched.add(sub);
          return sub;
        });
        if (!r.ok) send(ws, { type: "error", ...r.error });
        return;
      }
      case "unsubscribe": {
        const sub = this.#resolve(caller, frame.subscription);
        this.#push.unfollow(ws, sub);
        this.#followersOf(sub).delete(ws);
        return send(ws, { type: "unsubscribed", subscription: frame.subscription });
      }
      case "ack": {
        const r = await this.ack(caller, frame.subscription, frame.ackIds);
        if (!r.ok) return send(ws, { type: "error", ...r.error });
        return send(ws, { type: "acked", subscription: frame.subscription, results: r.value });
      }
      case "nack": {
        const r = await this.nack(caller, frame.subscription, frame.ackIds, frame.delayMs);
        if (!r.ok) return send(ws, { type: "error", ...r.error });
        return send(ws, { type: "acked", subscription: frame.subscription, results: r.value });
      }
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  #forget(ws: WebSocket): void {
    this.#push.forget(ws);
    for (const set of this.#followers?.values() ?? []) set.delete(ws);
  }

  // ---- time: lease expiry and retention

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const r = await this.#write(() => {
      this.store.sweep();
      for (const sub of this.store.dueSubscriptions()) {
        this.#push.prune(sub, (seq, ackId) => this.#stillLeased(sub, seq, ackId));
        this.#available(sub);
      }
    });
    if (!r.ok) throw new Error(r.error.message);
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
    if (!this.store.exists(sub)) this.store.putSubscription(caller.keyId, sub, { topic: inboxTopic(caller.keyId), startAt: "earliest" });
    return sub;
  }

  #pullNow(caller: BusCaller, name: string, max: number): Delivered[] {
    const sub = this.#resolve(caller, name);
    this.store.owned(sub, caller.keyId);
    return this.store.pull(sub, max);
  }

  #published(topic: string): void {
    for (const sub of this.store.subscriptionsOf(topic)) this.#available(sub);
  }

  /** Messages may be available on `sub`: after the commit, wake its long-polls and feed its sockets. */
  #available(sub: string): void {
    if (this.#waiters.has(sub)) this.#wake.push(sub);
    this.#touched.add(sub);
  }

  #wakeWaiters(sub: string): void {
    const waiters = this.#waiters.get(sub);
    if (waiters) for (const w of [...waiters]) w();
  }

  #followersOf(sub: string): Set<WebSocket> {
    if (!this.#followers) {
      this.#followers = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        for (const s of Object.keys(this.#push.attachment(ws).subs)) {
          const set = this.#followers.get(s) ?? new Set();
          set.add(ws);
          this.#followers.set(s, set);
        }
      }
    }
    let set = this.#followers.get(sub);
    if (!set) this.#followers.set(sub, (set = new Set()));
    return set;
  }

  /** Leases what the sockets following `sub` have room for; runs inside the group commit. */
  #pump(sub: string): void {
    for (const ws of this.#followersOf(sub)) {
      const credit = this.#push.credit(ws, sub);
      if (credit <= 0) continue;
      const messages = this.store.pull(sub, credit);
      if (messages.length === 0) break;
      this.#push.leased(ws, sub, messages);
      send(ws, { type: "messages", subscription: sub.startsWith("inbox:") ? INBOX : sub, messages });
    }
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
