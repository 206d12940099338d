import { DurableObject } from "cloudflare:workers";
import { nextLeaseWake } from "../../lib/bus/lease.ts";
import { parseFrame } from "../../lib/bus/frame.ts";
import type { AckResult, BusCaller, BusMetrics, BusResult, ClientFrame, Delivered, Published, PublishInput, ServerFrame, SubscriptionInfo, SubscriptionInput, SubscriptionStats } from "../../lib/bus/wire.ts";
import { INBOX, ROOT_OWNER, subscriptionOwner, TOPIC } from "../../lib/bus/wire.ts";
import type { AuditEntry } from "../../lib/audit/audit-chain.ts";
import { AlarmPointer } from "../../lib/do-alarm.ts";
import { migrate } from "../../lib/do-migrations.ts";
import { errorBody } from "../../lib/errors.ts";
import { GroupCommit, type Outcome } from "../../lib/group-commit.ts";
import { scopeGrants } from "../../lib/scopes.ts";
import { run } from "../../lib/rpc-result.ts";
import { BUS_MIGRATIONS } from "./bus-migrations.ts";
import { messagesFrame } from "../../lib/bus/messages-frame.ts";
import { BusFailure, BusStore, type SubRow } from "./bus-store.ts";
import { frameEntry } from "./frame-audit.ts";
import { InboxWatchers } from "./inbox-watchers.ts";
import { PushState, type SocketAttachment } from "./push.ts";
import { Revocations, type RevokedKey } from "./revocations.ts";

export type Ping = { object: "bus" | "mind"; ok: true; at: number };
export type { RevokedKey };

const DEFAULT_WINDOW = 100;
const REVOKED = "this key was revoked; the socket is closed";

/** What a frame did: the reply the socket gets, and the status its audit row records. */
type FrameOutcome = { reply: ServerFrame; status: number; scope: string | null; detail: Record<string, unknown>; after?: () => Promise<void> };
type Push = { ws: WebSocket; keyId: string; subscription: string; count: number; text: string; scope: string };

/**
 * The seed's message bus: durable topics, subscriptions with leases, redelivery and dead letters,
 * long-poll pull and push over hibernatable WebSockets. Storage logic is in BusStore.
 */
export class Bus extends DurableObject<Env> {
  /** Replaceable in tests to drive time; production reads the wall clock. */
  clock = { now: () => Date.now() };
  /** Waits until the round's commit is on disk; replaceable in tests to hold a round there. */
  durable = (): Promise<void> => this.ctx.storage.sync();
  readonly store: BusStore;
  readonly #push = new PushState();
  readonly #revoked: Revocations;
  readonly #watchers: InboxWatchers;
  readonly #alarm: AlarmPointer;
  readonly #commits: GroupCommit<() => unknown, BusResult<unknown>>;
  readonly #waiters = new Map<number, Set<() => void>>();
  /** Subscriptions a write made available: fed to sockets in the same commit, long-polls after it. */
  #touched = new Set<number>();
  #wake = new Set<number>();
  /** After the commit: pushes to helper sockets (sent once audited) and agents to wake. */
  #pushes: Push[] = [];
  #ring = new Set<string>();
  /** Which sockets follow which subscription; rebuilt from attachments after a wake. */
  #followers: Map<number, Set<WebSocket>> | null = null;
  /** Root key ids whose subscriptions from before ownership-by-root were handed to root. */
  readonly #adopted = new Set<string>();
  /** Alarms that ran since the object started (tests count them). */
  alarms = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, BUS_MIGRATIONS);
    this.store = new BusStore(ctx.storage.sql, () => this.clock.now());
    this.#revoked = new Revocations(ctx.storage.sql);
    this.#watchers = new InboxWatchers(ctx.storage.sql);
    this.#alarm = new AlarmPointer(ctx.storage);
    this.#commits = new GroupCommit((batch) => this.#commitRound(batch), { afterRound: () => this.durable() });
  }

  ping(): Ping {
    return { object: "bus", ok: true, at: Date.now() };
  }

  /** Commit rounds and alarm changes so far (tests assert a resting seed makes none). */
  activity(): { commits: number; queued: number; alarmChanges: number; alarms: number } {
    return { commits: this.#commits.rounds, queued: this.#commits.queued, alarmChanges: this.#alarm.changes, alarms: this.alarms };
  }

  // ---- group commit

  /** Queues a write for the next group commit (lib/group-commit.ts); the reply leaves after it. */
  #write<T>(fn: () => T): Promise<BusResult<T>> {
    return this.#commits.submit(fn) as Promise<BusResult<T>>;
  }

  /** One round: every write in its own savepoint inside one transaction, then the sockets are fed. */
  #commitRound(batch: (() => unknown)[]): Outcome<BusResult<unknown>>[] {
    const outcomes: Outcome<BusResult<unknown>>[] = [];
    try {
      this.ctx.storage.transactionSync(() => {
        for (const fn of batch) {
          try {
            outcomes.push({ ok: true, value: { ok: true, value: this.ctx.storage.transactionSync(fn) } });
          } catch (err) {
            // The write's savepoint is rolled back; the others still commit.
            this.store.forgetCached();
            outcomes.push(err instanceof BusFailure ? { ok: true, value: { ok: false, error: err.error } } : { ok: false, error: err });
          }
        }
        for (const sub of this.#touched) this.#pump(sub);
        this.#touched.clear();
      });
    } catch (err) {
      // The commit itself failed (storage error): nothing of this round was kept.
      this.store.forgetCached();
      this.#touched.clear();
      this.#wake.clear();
      this.#pushes = [];
      this.#ring.clear();
      throw err;
    }
    this.#rearm();
    for (const sub of this.#wake) this.#wakeWaiters(sub);
    this.#wake.clear();
    for (const p of this.#pushes.splice(0)) void this.#sendAudited(p);
    for (const agentId of this.#ring) this.#ringAgent(agentId);
    this.#ring.clear();
    return outcomes;
  }

  // ---- RPC used by the Worker's HTTP routes (and the Mind)

  publish(caller: BusCaller, topic: string, messages: PublishInput[]): Promise<BusResult<Published[]>> {
    return this.#write(() => {
      this.#live(caller);
      checkTopicAccess(caller, topic, "publish");
      const out = this.store.publish(caller.keyId, topic, messages);
      this.#published(topic);
      return out;
    });
  }

  /** A direct message to an agent's inbox. `from` is the sender's key id (or an organ's name). */
  sendToInbox(from: string, agentId: string, message: PublishInput): Promise<BusResult<Published>> {
    return this.#write(() => {
      this.#live({ keyId: from });
      const topic = this.store.inbox(agentId).topic;
      const [out] = this.store.publish(from, topic, [message]);
      this.#published(topic);
      return out!;
    });
  }

  putTopic(caller: BusCaller, topic: string, retention: { maxAgeMs?: number | null; maxMessages?: number | null }) {
    return this.#write(() => {
      this.#live(caller);
      checkTopicAccess(caller, topic, "publish");
      return this.store.setRetention(topic, retention.maxAgeMs, retention.maxMessages);
    });
  }

  putSubscription(caller: BusCaller, name: string, input: SubscriptionInput): Promise<BusResult<{ info: SubscriptionInfo; created: boolean }>> {
    return this.#write(() => {
      this.#live(caller);
      if (name === INBOX) throw new BusFailure(409, "reserved_subscription", "the inbox subscription is managed by the bus");
      checkTopicAccess(caller, input.topic, "read");
      const { sub, created } = this.store.putSubscription(this.#owner(caller), name, input);
      if (input.startAt !== undefined) this.#available(sub.id);
      return { info: this.store.info(sub), created };
    });
  }

  deleteSubscription(caller: BusCaller, name: string): Promise<BusResult<{ deleted: true }>> {
    return this.#write(() => {
      this.store.deleteSubscription(this.#sub(caller, name));
      return { deleted: true as const };
    });
  }

  listSubscriptions(caller: BusCaller): BusResult<SubscriptionInfo[]> {
    return run(() => {
      this.#live(caller);
      return this.store.listSubscriptions(this.#owner(caller));
    });
  }

  async pull(caller: BusCaller, name: string, max: number, waitMs: number): Promise<BusResult<Delivered[]>> {
    const first = await this.#write(() => this.store.pull(this.#sub(caller, name).id, max));
    if (!first.ok || first.value.length > 0 || waitMs <= 0) return first;
    const sub = this.store.find(this.#owner(caller), name);
    if (!sub) return first;
    // A publish may have committed between the first attempt and now: look before waiting.
    if (this.store.hasAvailable(sub.id)) return this.#write(() => this.store.pull(this.#sub(caller, name).id, max));
    await new Promise<void>((resolve) => {
      const set = this.#waiters.get(sub.id) ?? new Set();
      this.#waiters.set(sub.id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(sub.id);
        this.#rearm();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      set.add(done);
      this.#rearm(); // a lease of this subscription that ends during the wait wakes it
    });
    return this.#write(() => this.store.pull(this.#sub(caller, name).id, max));
  }

  ack(caller: BusCaller, name: string, ackIds: string[]): Promise<BusResult<AckResult[]>> {
    return this.#write(() => {
      const sub = this.#sub(caller, name);
      const results = this.store.ack(sub.id, ackIds);
      this.#push.settled(sub.id, ackIds);
      this.#touched.add(sub.id); // window space freed: the sockets may take more
      return results;
    });
  }

  nack(caller: BusCaller, name: string, ackIds: string[], delayMs?: number): Promise<BusResult<AckResult[]>> {
    return this.#write(() => {
      const sub = this.#sub(caller, name);
      const results = this.store.nack(sub.id, ackIds, delayMs);
      this.#push.settled(sub.id, ackIds);
      this.#available(sub.id);
      return results;
    });
  }

  seek(caller: BusCaller, name: string, to: { seq: number } | { time: number }): Promise<BusResult<SubscriptionInfo>> {
    return this.#write(() => {
      const sub = this.#sub(caller, name);
      const info = this.store.seek(sub, to);
      this.#push.prune(sub.id, () => false);
      this.#available(sub.id);
      return info;
    });
  }

  stats(caller: BusCaller, name: string): BusResult<SubscriptionStats> {
    return run(() => this.store.stats(this.#sub(caller, name)));
  }

  /** The bus's part of GET /metrics: totals and backlog per topic, read from storage. */
  metrics(): BusMetrics {
    return this.store.metrics();
  }

  /**
   * Part of revokeKeys(): from the moment this returns, nothing of these keys is acted on here —
   * the ids are recorded durably (refused at the upgrade, at every frame and on every call), each
   * socket is told `key_revoked` and closed, and what a root key made is handed to root.
   * Idempotent: a retry after a failed revoke is safe.
   */
  revokeKeys(keys: RevokedKey[]): { closed: number } {
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.#revoked.record(keys, now);
      for (const k of keys) {
        if (k.kind === "root") this.store.adopt(k.id, ROOT_OWNER);
        if (this.#watchers.has(k.id)) this.#watchers.set(k.id, false);
      }
    });
    let closed = 0;
    for (const k of keys) {
      for (const ws of this.ctx.getWebSockets(`key:${k.id}`)) {
        this.#close(ws, 4001, "key revoked", { type: "error", code: "key_revoked", message: REVOKED, status: 401 });
        closed++;
      }
    }
    return { closed };
  }

  /** The seed's own agents (issue 13): wake the agent's object when its inbox gets a message. */
  watchInbox(agentId: string, watching: boolean): void {
    this.ctx.storage.transactionSync(() => this.#watchers.set(agentId, watching));
  }

  // ---- WebSocket push

  /** The Worker authenticated the upgrade and passes who it is in internal headers. */
  override async fetch(request: Request): Promise<Response> {
    const caller = JSON.parse(request.headers.get("x-seed-caller") ?? "null") as BusCaller | null;
    if (!caller || request.headers.get("Upgrade") !== "websocket") return Response.json(errorBody("upgrade_required", "expected a WebSocket upgrade"), { status: 400 });
    // Authenticated before a revoke, arriving after it: refused, never accepted.
    if (this.#revoked.has(caller.keyId)) return Response.json(errorBody("key_revoked", "this key was revoked"), { status: 401 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [`key:${caller.keyId}`]);
    server.serializeAttachment({ keyId: caller.keyId, kind: caller.kind, scopes: caller.scopes, subs: {} } satisfies SocketAttachment);
    const protocol = request.headers.get("x-seed-protocol");
    return new Response(null, { status: 101, webSocket: client, headers: protocol ? { "Sec-WebSocket-Protocol": protocol } : {} });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const a = this.#push.attachment(ws);
    // workerd still delivers frames a client sends after the server's close frame: a revoked
    // key's socket is closed again and nothing it sends is acted on.
    if (this.#revoked.has(a.keyId)) return this.#close(ws, 4001, "key revoked");
    const caller: BusCaller = { keyId: a.keyId, kind: a.kind, scopes: a.scopes };
    const parsed = parseFrame(data);
    const at = this.clock.now();
    let outcome: FrameOutcome;
    if (!parsed.ok) {
      outcome = { reply: { type: "error", ...parsed.error }, status: parsed.error.status, scope: null, detail: { frame: "invalid", code: parsed.error.code } };
    } else {
      const frame = parsed.frame;
      if (frame.type === "ping") return send(ws, { type: "pong" });
      outcome = await this.#act(ws, caller, frame);
    }
    if (caller.kind === "helper" && !(await this.#audit(ws, [frameEntry(at, caller.keyId, outcome.status, outcome.scope, outcome.detail)]))) return;
    send(ws, outcome.reply);
    await outcome.after?.();
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  /** Does what a frame asks, through the same checks as the RPC methods. */
  async #act(ws: WebSocket, caller: BusCaller, frame: Exclude<ClientFrame, { type: "ping" }>): Promise<FrameOutcome> {
    const failed = (r: { ok: false; error: { status: number; code: string; message: string } }, scope: string | null, detail: Record<string, unknown>, ref?: string): FrameOutcome => ({
      reply: { type: "error", ...(ref === undefined ? {} : { ref }), ...r.error },
      status: r.error.status,
      scope,
      detail: { ...detail, code: r.error.code },
    });
    switch (frame.type) {
      case "publish": {
        const scope = `bus:publish:${frame.topic}`;
        const detail = { frame: "publish", topic: frame.topic, messages: frame.messages.length };
        const r = await this.publish(caller, frame.topic, frame.messages);
        if (!r.ok) return failed(r, scope, detail, frame.ref);
        return { reply: { type: "published", ref: frame.ref, results: r.value }, status: 201, scope, detail };
      }
      case "subscribe": {
        const window = frame.window ?? DEFAULT_WINDOW;
        const detail = { frame: "subscribe", subscription: frame.subscription, window };
        const r = await this.#write(() => this.#sub(caller, frame.subscription));
        if (!r.ok) return failed(r, null, detail);
        // Following starts after the reply, so `subscribed` always comes before the messages.
        const follow = async () => {
          const f = await this.#write(() => {
            const sub = this.#sub(caller, frame.subscription);
            this.#push.follow(ws, sub.id, window);
            this.#followersOf(sub.id).add(ws);
            this.#touched.add(sub.id);
          });
          if (!f.ok) send(ws, { type: "error", ...f.error });
        };
        return { reply: { type: "subscribed", subscription: frame.subscription, window }, status: 200, scope: `bus:read:${r.value.topic}`, detail, after: follow };
      }
      case "unsubscribe": {
        const detail = { frame: "unsubscribe", subscription: frame.subscription };
        const r = run(() => {
          this.#live(caller);
          return this.store.find(this.#owner(caller), frame.subscription);
        });
        if (!r.ok) return failed(r, null, detail);
        if (r.value) {
          this.#push.unfollow(ws, r.value.id);
          this.#followersOf(r.value.id).delete(ws);
        }
        return { reply: { type: "unsubscribed", subscription: frame.subscription }, status: 200, scope: null, detail };
      }
      case "ack":
      case "nack": {
        const detail = { frame: frame.type, subscription: frame.subscription, ackIds: frame.ackIds.length };
        const r = frame.type === "ack" ? await this.ack(caller, frame.subscription, frame.ackIds) : await this.nack(caller, frame.subscription, frame.ackIds, frame.delayMs);
        if (!r.ok) return failed(r, null, detail);
        return { reply: { type: "acked", subscription: frame.subscription, results: r.value }, status: 200, scope: null, detail };
      }
    }
  }

  /** Writes a helper's audit rows; if the ledger cannot, the socket is closed (fail closed). */
  async #audit(ws: WebSocket, entries: AuditEntry[]): Promise<boolean> {
    try {
      await this.env.AUDIT.get(this.env.AUDIT.idFromName("ledger")).append(entries);
      return true;
    } catch {
      console.error("bus: the audit ledger could not record a helper's socket frame; closing the socket");
      this.#close(ws, 1011, "audit unavailable", { type: "error", code: "audit_unavailable", message: "the audit ledger could not record this frame", status: 503 });
      return false;
    }
  }

  /** Messages for a helper's socket leave only once their audit row is written. */
  async #sendAudited(p: Push): Promise<void> {
    const entry = frameEntry(this.clock.now(), p.keyId, 200, p.scope, { frame: "messages", subscription: p.subscription, messages: p.count });
    if (await this.#audit(p.ws, [entry])) sendText(p.ws, p.text);
  }

  #close(ws: WebSocket, code: number, reason: string, last?: ServerFrame): void {
    // A frame first: clients learn at once, while the TCP close can lag behind the close frame.
    if (last) send(ws, last);
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
    this.#forget(ws);
  }

  #forget(ws: WebSocket): void {
    this.#push.forget(ws);
    for (const set of this.#followers?.values() ?? []) set.delete(ws);
  }

  // ---- time: lease expiry (for sockets and long-polls) and retention

  override async alarm(): Promise<void> {
    this.#alarm.fired();
    this.alarms++;
    const r = await this.#write(() => {
      this.store.sweep();
      for (const sub of this.#watchedSubs()) {
        this.#push.prune(sub, (seq, ackId) => this.store.stillLeased(sub, seq, ackId));
        this.#available(sub);
      }
    });
    if (!r.ok) throw new Error(r.error.message);
  }

  /**
   * Points the alarm at the earliest thing it will act on: a retention deadline (the sweep always
   * takes it) or a lease that ends in the future on a subscription a socket or a long-poll is
   * waiting on. Leases already past wait for the next pull or the socket's next credit.
   */
  #rearm(): void {
    const now = this.clock.now();
    const lease = nextLeaseWake(this.#watchedSubs().map((id) => this.store.nextLeaseEnd(id, now)), now);
    const retention = this.store.nextRetentionAt();
    const next = lease === null ? retention : retention === null ? lease : Math.min(lease, retention);
    this.#alarm.arm(next, now).catch(() => console.error("bus: could not set its alarm"));
  }

  /** Subscriptions with a live follower or a waiting long-poll. */
  #watchedSubs(): number[] {
    const ids = new Set(this.#waiters.keys());
    for (const [id, set] of this.#followerMap()) if (set.size > 0) ids.add(id);
    return [...ids];
  }

  // ---- helpers

  /** Refuses a caller whose key the Bus was told is revoked. */
  #live(caller: Pick<BusCaller, "keyId">): void {
    if (this.#revoked.has(caller.keyId)) throw new BusFailure(401, "key_revoked", "this key was revoked");
  }

  /** The caller's namespace; a root key's subscriptions from before it was root's are adopted once. */
  #owner(caller: BusCaller): string {
    if (caller.kind === "root" && !this.#adopted.has(caller.keyId)) {
      this.store.adopt(caller.keyId, ROOT_OWNER);
      this.#adopted.add(caller.keyId);
    }
    return subscriptionOwner(caller);
  }

  /** The caller's subscription `name` (the inbox is made on first use), or a 401/404 failure. */
  #sub(caller: BusCaller, name: string): SubRow {
    this.#live(caller);
    const owner = this.#owner(caller);
    return name === INBOX ? this.store.inbox(owner) : this.store.owned(owner, name);
  }

  #published(topic: string): void {
    for (const sub of this.store.subscriptionsOf(topic)) this.#available(sub);
    if (topic.startsWith("inbox.")) {
      const agentId = topic.slice("inbox.".length);
      if (this.#watchers.has(agentId)) this.#ring.add(agentId);
    }
  }

  /** Messages may be available on `sub`: after the commit, wake its long-polls and feed its sockets. */
  #available(sub: number): void {
    if (this.#waiters.has(sub)) this.#wake.add(sub);
    this.#touched.add(sub);
  }

  #wakeWaiters(sub: number): void {
    const waiters = this.#waiters.get(sub);
    if (waiters) for (const w of [...waiters]) w();
  }

  #ringAgent(agentId: string): void {
    const agent = this.env.AGENT.get(this.env.AGENT.idFromName(agentId));
    this.ctx.waitUntil(agent.inboxReady(agentId).catch(() => console.error("bus: could not wake an agent of the seed (the mind will dispatch its task again)")));
  }

  #followerMap(): Map<number, Set<WebSocket>> {
    if (!this.#followers) {
      this.#followers = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        const a = this.#push.attachment(ws);
        if (this.#revoked.has(a.keyId)) continue;
        for (const s of Object.keys(a.subs)) {
          const set = this.#followers.get(Number(s)) ?? new Set();
          set.add(ws);
          this.#followers.set(Number(s), set);
        }
      }
    }
    return this.#followers;
  }

  #followersOf(sub: number): Set<WebSocket> {
    const map = this.#followerMap();
    let set = map.get(sub);
    if (!set) map.set(sub, (set = new Set()));
    return set;
  }

  /** Leases what the sockets following `sub` have room for; runs inside the group commit. */
  #pump(id: number): void {
    const followers = this.#followersOf(id);
    if (followers.size === 0) return;
    const sub = this.store.byId(id);
    if (!sub) return;
    for (const ws of followers) {
      const credit = this.#push.credit(ws, id);
      if (credit <= 0) continue;
      const a = this.#push.attachment(ws);
      if (this.#revoked.has(a.keyId)) continue;
      const messages = this.store.pullForPush(id, credit, sub);
      if (messages.length === 0) break;
      this.#push.leased(ws, id, messages);
      const text = messagesFrame(sub.name, messages);
      if (a.kind === "helper") this.#pushes.push({ ws, keyId: a.keyId, subscription: sub.name, count: messages.length, text, scope: `bus:read:${sub.topic}` });
      else sendText(ws, text);
    }
  }
}

function send(ws: WebSocket, frame: ServerFrame): void {
  sendText(ws, JSON.stringify(frame));
}

function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The socket closed under us; its leases expire and are redelivered.
  }
}

/** Topic names as HTTP checks them; agents and the owner may use any topic; helpers need `bus:<verb>:<topic-glob>`; inboxes are private. */
function checkTopicAccess(caller: BusCaller, topic: string, verb: "publish" | "read"): void {
  if (!TOPIC.test(topic)) throw new BusFailure(422, "invalid_input", "topic names are [a-z0-9][a-z0-9._-]{0,127}");
  if (topic.startsWith("inbox.")) throw new BusFailure(403, "reserved_topic", "inbox topics are reached through /v1/bus/agents/:id/inbox");
  if (caller.kind === "helper" && !caller.scopes.some((s) => scopeGrants(s, `bus:${verb}:${topic}`))) {
    throw new BusFailure(403, "missing_scope", `this key lacks the scope bus:${verb}:${topic}`);
  }
}
