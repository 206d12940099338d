// A small typed client for the seed's bus, for agents (and the tests and benchmark). HTTP for
// publish/pull/ack; a WebSocket for push with reconnect, backoff and resume. Runs on any runtime
// with fetch and WebSocket (Node ≥ 22, browsers, workerd).
import type { AckResult, ClientFrame, Delivered, Published, PublishInput, ServerFrame, SubscriptionInfo, SubscriptionInput, SubscriptionStats } from "./wire.ts";

export class BusClientError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "BusClientError";
    this.status = status;
    this.code = code;
  }
}

export type BusClientOptions = { url: string; token: string; fetch?: typeof fetch };

export type Handler = (message: Delivered) => void | Promise<void>;

export type SubscribeOptions = {
  /** Max messages in flight on this socket for this subscription (default 100). */
  window?: number;
  /** Ack after the handler resolves (default true); a throwing handler nacks. */
  autoAck?: boolean;
};

export class BusClient {
  readonly url: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(opts: BusClientOptions) {
    this.url = opts.url.replace(/\/$/, "");
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(`${this.url}/v1/bus${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const e = (json as { error?: { code: string; message: string } } | undefined)?.error;
      throw new BusClientError(res.status, e?.code ?? "http_error", e?.message ?? text);
    }
    return json as T;
  }

  whoami(): Promise<{ id: string; name: string; capabilities: string[] }> {
    return this.#call("GET", "/whoami");
  }

  publish(topic: string, body: unknown, opts: Omit<PublishInput, "body"> = {}): Promise<Published> {
    return this.#call("POST", `/topics/${topic}/messages`, { body, ...opts });
  }

  async publishBatch(topic: string, messages: PublishInput[]): Promise<Published[]> {
    return (await this.#call<{ results: Published[] }>("POST", `/topics/${topic}/messages:batch`, { messages })).results;
  }

  sendToInbox(agentId: string, body: unknown, opts: Omit<PublishInput, "body"> = {}): Promise<Published> {
    return this.#call("POST", `/agents/${agentId}/inbox`, { body, ...opts });
  }

  putSubscription(name: string, input: SubscriptionInput): Promise<SubscriptionInfo> {
    return this.#call("PUT", `/subscriptions/${name}`, input);
  }

  async pull(subscription: string, opts: { max?: number; waitMs?: number } = {}): Promise<Delivered[]> {
    return (await this.#call<{ messages: Delivered[] }>("POST", `/subscriptions/${subscription}/pull`, opts)).messages;
  }

  async ack(subscription: string, ackIds: string[]): Promise<AckResult[]> {
    return (await this.#call<{ results: AckResult[] }>("POST", `/subscriptions/${subscription}/ack`, { ackIds })).results;
  }

  async nack(subscription: string, ackIds: string[], delayMs?: number): Promise<AckResult[]> {
    return (await this.#call<{ results: AckResult[] }>("POST", `/subscriptions/${subscription}/nack`, { ackIds, delayMs })).results;
  }

  stats(subscription: string): Promise<SubscriptionStats> {
    return this.#call("GET", `/subscriptions/${subscription}/stats`);
  }

  /** A push connection; subscriptions added to it survive reconnects. */
  connect(): BusSocket {
    return new BusSocket(this.url.replace(/^http/, "ws") + "/v1/bus/connect", this.#token);
  }
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const ACK_FLUSH_MS = 2;
const ACK_FLUSH_COUNT = 200;

/**
 * One WebSocket to the bus. Reconnects with exponential backoff and resumes by following its
 * subscriptions again; leases held by a dead socket expire and are redelivered by the bus.
 */
export class BusSocket {
  readonly #url: string;
  readonly #token: string;
  readonly #subs = new Map<string, { handler: Handler; opts: SubscribeOptions }>();
  readonly #pendingAcks = new Map<string, string[]>();
  readonly #published = new Map<string, { resolve: (r: Published[]) => void; reject: (e: Error) => void }>();
  #ws: WebSocket | null = null;
  #open: Promise<void> | null = null;
  #closed = false;
  #backoff = MIN_BACKOFF_MS;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #ref = 0;
  #endCurrent: (code: number, reason: string) => void = () => {};
  /** Called with the reason of every disconnect (for logs and tests). */
  onDisconnect: (reason: string) => void = () => {};

  constructor(url: string, token: string) {
    this.#url = url;
    this.#token = token;
  }

  /** Resolves when the socket is open (connecting if needed). */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("socket closed"));
    this.#open ??= new Promise<void>((resolve, reject) => {
      // The key travels as a subprotocol (a header), never in the URL.
      const ws = new WebSocket(this.#url, ["seed.bus.v1", `seed.key.${this.#token}`]);
      this.#ws = ws;
      ws.addEventListener("open", () => {
        this.#backoff = MIN_BACKOFF_MS;
        for (const [name, { opts }] of this.#subs) this.#send({ type: "subscribe", subscription: name, window: opts.window });
        resolve();
      });
      ws.addEventListener("message", (e) => this.#onFrame(JSON.parse(String(e.data)) as ServerFrame));
      // A failed handshake may fire only `error` (Node's undici), a dropped socket `close`:
      // either ends this socket once.
      let ended = false;
      const end = (code: number, reason: string) => {
        if (ended) return;
        ended = true;
        const current = this.#ws === ws;
        if (current) {
          this.#ws = null;
          this.#open = null;
        }
        for (const p of this.#published.values()) p.reject(new Error(`socket closed (${code})`));
        this.#published.clear();
        this.#pendingAcks.clear();
        reject(new Error(`socket closed (${code} ${reason})`));
        if (!current || this.#closed) return;
        this.onDisconnect(`${code} ${reason}`.trim());
        if (code === 4001) return; // the key was revoked: reconnecting cannot help
        const delay = this.#backoff;
        this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
        setTimeout(() => void this.ready().catch(() => {}), delay);
      };
      ws.addEventListener("close", (e) => end(e.code, e.reason));
      ws.addEventListener("error", () => end(1006, "connection failed"));
      this.#endCurrent = (code, reason) => {
        end(code, reason);
        ws.close();
      };
    });
    return this.#open;
  }

  /** Follows a subscription: the handler runs for each pushed message, in order per batch. */
  async subscribe(subscription: string, handler: Handler, opts: SubscribeOptions = {}): Promise<void> {
    this.#subs.set(subscription, { handler, opts });
    await this.ready();
    this.#send({ type: "subscribe", subscription, window: opts.window });
  }

  /** Publishes over the socket; resolves when the bus has committed the messages. */
  async publish(topic: string, messages: PublishInput[]): Promise<Published[]> {
    await this.ready();
    const ref = String(++this.#ref);
    return new Promise<Published[]>((resolve, reject) => {
      this.#published.set(ref, { resolve, reject });
      this.#send({ type: "publish", ref, topic, messages });
    });
  }

  ack(subscription: string, ackId: string): void {
    const list = this.#pendingAcks.get(subscription) ?? [];
    list.push(ackId);
    this.#pendingAcks.set(subscription, list);
    if (list.length >= ACK_FLUSH_COUNT) this.#flushAcks();
    else this.#flushTimer ??= setTimeout(() => this.#flushAcks(), ACK_FLUSH_MS);
  }

  nack(subscription: string, ackIds: string[], delayMs?: number): void {
    this.#send({ type: "nack", subscription, ackIds, delayMs });
  }

  close(): void {
    this.#closed = true;
    this.#flushAcks();
    this.#ws?.close(1000, "client closed");
  }

  #flushAcks(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    for (const [subscription, ackIds] of this.#pendingAcks) {
      if (ackIds.length) this.#send({ type: "ack", subscription, ackIds });
    }
    this.#pendingAcks.clear();
  }

  #send(frame: ClientFrame): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "messages": {
        const sub = this.#subs.get(frame.subscription);
        if (!sub) return;
        void this.#handle(frame.subscription, sub, frame.messages);
        return;
      }
      case "published": {
        const p = frame.ref ? this.#published.get(frame.ref) : undefined;
        if (p) {
          this.#published.delete(frame.ref!);
          p.resolve(frame.results);
        }
        return;
      }
      case "error": {
        // The bus says so before it closes: the TCP close may lag the close frame by seconds.
        if (frame.code === "key_revoked") return this.#endCurrent(4001, "key revoked");
        const p = frame.ref ? this.#published.get(frame.ref) : undefined;
        if (p) {
          this.#published.delete(frame.ref!);
          p.reject(new BusClientError(400, frame.code, frame.message));
        }
        return;
      }
      default:
        return;
    }
  }

  async #handle(name: string, sub: { handler: Handler; opts: SubscribeOptions }, messages: Delivered[]): Promise<void> {
    for (const m of messages) {
      try {
        await sub.handler(m);
        if (sub.opts.autoAck !== false) this.ack(name, m.ackId);
      } catch {
        this.nack(name, [m.ackId]);
      }
    }
  }
}
