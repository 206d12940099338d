// Hrana over WebSocket (subprotocols hrana3 and hrana2, JSON): one connection multiplexes many
// streams. The client authenticates with the database token in its `hello`; every stream runs
// its requests strictly in order, with the same executor, limits and per-request budget as a
// request of an HTTP pipeline, while different streams proceed independently. SQL texts
// (store_sql) and cursors belong to the connection; a statement naming a stored text is
// resolved when its request arrives, so a later close_sql cannot change what it runs.
import type { RawData, WebSocket } from "ws";
import { ProtocolError, ServerClosingError, StreamRequestError, toHranaError } from "./errors.ts";
import type { HranaError } from "./errors.ts";
import { decodeWsClientMsg } from "./hrana-json-decode.ts";
import { cursorEntries, encodeWsErrorJson, encodeWsResponseJson } from "./hrana-json-encode.ts";
import type { HranaStream, StreamContext } from "./hrana-stream.ts";
import type { BatchStep, Stmt, WsRequest, WsResponse } from "./hrana-types.ts";
import { RequestBudget } from "./request-budget.ts";
import { runCursor, runStreamRequest } from "./run-pipeline.ts";
import { SqlStore } from "./sql-store.ts";
import type { StreamRegistry } from "./stream-registry.ts";

/** Subprotocols served, most preferred first (Protobuf over WebSocket is not served). */
export const WS_SUBPROTOCOLS = ["hrana3", "hrana2"] as const;

// requests one connection may have waiting or running at once; a client past this is broken
const MAX_PENDING = 4096;
// WebSocket close codes: 1008 policy violation, 1001 going away, 3xxx the spec's own range
const CLOSE_PROTOCOL = 3003;
const CLOSE_POLICY = 1008;

export interface WsHost {
  readonly ctx: StreamContext;
  readonly registry: StreamRegistry;
  readonly idleStreamMs: number;
  acceptsToken(token: string | undefined): boolean;
  /** The server is shutting down: no new work. */
  closing(): boolean;
  /** Counts requests in flight, so a shutdown waits for them. */
  track(delta: 1 | -1): void;
  /** The connection ended. */
  forget(connection: HranaWsConnection): void;
}

type StreamWork =
  | { kind: "request"; requestId: number; request: Extract<WsRequest, { type: "stream" }>["request"] }
  | { kind: "cursor"; requestId: number; steps: BatchStep[]; cursor: Cursor };

interface Slot {
  readonly streamId: number;
  readonly stream: HranaStream;
  readonly queue: StreamWork[];
  running: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Cursor {
  entries: Promise<unknown[]>;
  settle: (entries: unknown[]) => void;
  next: number;
}

function withSql<T extends { sql: string | undefined; sqlId: number | undefined }>(ref: T, store: SqlStore): T {
  return ref.sqlId === undefined ? ref : { ...ref, sql: store.resolve(ref), sqlId: undefined };
}

function resolveSteps(steps: BatchStep[], store: SqlStore): BatchStep[] {
  return steps.map((step) => ({ ...step, stmt: withSql<Stmt>(step.stmt, store) }));
}

function resolveRequest(request: StreamWork & { kind: "request" }, store: SqlStore): StreamWork {
  const r = request.request;
  switch (r.type) {
    case "execute":
      return { ...request, request: { ...r, stmt: withSql(r.stmt, store) } };
    case "batch":
      return { ...request, request: { ...r, steps: resolveSteps(r.steps, store) } };
    case "sequence":
    case "describe":
      return { ...request, request: withSql(r, store) };
    default:
      return request;
  }
}

export class HranaWsConnection {
  readonly #socket: WebSocket;
  readonly #host: WsHost;
  readonly #slots = new Map<number, Slot>();
  readonly #cursors = new Map<number, Cursor>();
  readonly #sql = new SqlStore();
  #authenticated = false;
  #ended = false;
  #pending = 0;

  constructor(socket: WebSocket, host: WsHost) {
    this.#socket = socket;
    this.#host = host;
    socket.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on("close", () => this.#end());
    socket.on("error", () => this.#end());
  }

  /** Closes the connection: streams not running a request are rolled back now, the others as
   * soon as their request is done. */
  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
    this.#end();
  }

  #fail(message: string): void {
    this.close(CLOSE_PROTOCOL, message.slice(0, 120));
  }

  #send(text: string): void {
    if (!this.#ended) this.#socket.send(text);
  }

  #respond(requestId: number, response: WsResponse): void {
    this.#send(encodeWsResponseJson(requestId, response));
  }

  #respondError(requestId: number, error: HranaError): void {
    this.#send(encodeWsErrorJson(requestId, error));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#ended) return;
    if (isBinary) {
      this.#fail("Only text messages are accepted (JSON encoding)");
      return;
    }
    let msg;
    try {
      msg = decodeWsClientMsg(JSON.parse(data.toString()));
    } catch (error) {
      this.#fail(error instanceof ProtocolError ? error.message : "The message is not valid JSON");
      return;
    }
    if (msg.type === "hello") {
      if (this.#host.acceptsToken(msg.jwt)) {
        this.#authenticated = true;
        this.#send(JSON.stringify({ type: "hello_ok" }));
      } else {
        this.#send(JSON.stringify({ type: "hello_error", error: { message: "Missing or invalid database token", code: "UNAUTHORIZED" } }));
        this.close(CLOSE_POLICY, "Unauthorized");
      }
      return;
    }
    if (!this.#authenticated) {
      this.#fail("A request arrived before a successful hello");
      return;
    }
    if (this.#pending >= MAX_PENDING) {
      this.close(CLOSE_POLICY, `More than ${MAX_PENDING} requests in flight`);
      return;
    }
    try {
      this.#handle(msg.requestId, msg.request);
    } catch (error) {
      this.#host.ctx.reportUnexpected(error);
      this.#respondError(msg.requestId, toHranaError(error));
    }
  }

  #slot(streamId: number): Slot {
    const slot = this.#slots.get(streamId);
    if (slot === undefined) throw new StreamRequestError(`Stream ${streamId} is not open: closed, or expired after idling`, "STREAM_EXPIRED");
    return slot;
  }

  #handle(requestId: number, request: WsRequest): void {
    switch (request.type) {
      case "open_stream": {
        if (this.#host.closing()) throw new ServerClosingError();
        if (this.#slots.has(request.streamId)) throw new ProtocolError(`Stream ${request.streamId} is already open`);
        const stream = this.#host.registry.open();
        this.#slots.set(request.streamId, { streamId: request.streamId, stream, queue: [], running: false, timer: undefined });
        this.#respond(requestId, { type: "open_stream" });
        return;
      }
      case "stream": {
        const slot = this.#slot(request.streamId);
        this.#enqueue(slot, resolveRequest({ kind: "request", requestId, request: request.request }, this.#sql));
        return;
      }
      case "open_cursor": {
        const slot = this.#slot(request.streamId);
        if (this.#cursors.has(request.cursorId)) throw new ProtocolError(`Cursor ${request.cursorId} is already open`);
        const steps = resolveSteps(request.steps, this.#sql);
        let settle: (entries: unknown[]) => void = () => undefined;
        const entries = new Promise<unknown[]>((resolve) => {
          settle = resolve;
        });
        const cursor: Cursor = { entries, settle, next: 0 };
        this.#cursors.set(request.cursorId, cursor);
        this.#enqueue(slot, { kind: "cursor", requestId, steps, cursor });
        return;
      }
      case "fetch_cursor": {
        const cursor = this.#cursors.get(request.cursorId);
        if (cursor === undefined) throw new StreamRequestError(`Cursor ${request.cursorId} is not open`, "CURSOR_CLOSED");
        // fetches of one cursor wait on the same promise, so they are answered in order
        void cursor.entries.then((entries) => {
          const part = entries.slice(cursor.next, cursor.next + request.maxCount);
          cursor.next += part.length;
          this.#respond(requestId, { type: "fetch_cursor", entries: part, done: cursor.next >= entries.length });
        });
        return;
      }
      case "close_cursor":
        this.#cursors.delete(request.cursorId);
        this.#respond(requestId, { type: "close_cursor" });
        return;
      case "store_sql":
        this.#sql.store(request.sqlId, request.sql);
        this.#respond(requestId, { type: "store_sql" });
        return;
      case "close_sql":
        this.#sql.close(request.sqlId);
        this.#respond(requestId, { type: "close_sql" });
        return;
    }
  }

  #enqueue(slot: Slot, work: StreamWork): void {
    this.#pending++;
    this.#host.track(1);
    slot.queue.push(work);
    if (slot.running) return;
    slot.running = true;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    // start after the messages that arrived together were queued, so each request sees what
    // follows it on its stream
    queueMicrotask(() => void this.#drain(slot));
  }

  async #drain(slot: Slot): Promise<void> {
    const { ctx } = this.#host;
    for (let work = slot.queue.shift(); work !== undefined; work = slot.queue.shift()) {
      try {
        if (this.#ended || this.#host.closing()) throw new ServerClosingError();
        if (work.kind === "cursor") {
          const outcome = await runCursor(ctx, slot.stream, work.steps);
          work.cursor.settle(cursorEntries(outcome));
          this.#respond(work.requestId, { type: "open_cursor" });
        } else {
          // nothing queued after it, or only close_stream: the stream parks after this request,
          // as an HTTP stream does after its pipeline, so an autocommit write may join a group
          // commit (the next request, if any, may run on another pooled connection either way)
          const next = slot.queue[0];
          const closesAfter = next === undefined || (next.kind === "request" && next.request.type === "close");
          const response = await runStreamRequest(ctx, slot.stream, work.request, new RequestBudget(ctx.budget), closesAfter);
          this.#respond(work.requestId, response);
        }
      } catch (error) {
        ctx.reportUnexpected(error);
        if (work.kind === "cursor") work.cursor.settle([{ type: "error", error: toHranaError(error) }]);
        this.#respondError(work.requestId, toHranaError(error));
      } finally {
        this.#pending--;
        this.#host.track(-1);
      }
      if (slot.stream.closed) break;
    }
    slot.running = false;
    if (slot.stream.closed || this.#ended) {
      this.#closeSlot(slot);
      return;
    }
    slot.stream.park();
    slot.timer = setTimeout(() => this.#expire(slot), this.#host.idleStreamMs);
    slot.timer.unref();
  }

  /** A stream with no request for idleStreamMs is rolled back and closed, as over HTTP. */
  #expire(slot: Slot): void {
    if (slot.running || this.#slots.get(slot.streamId) !== slot) return;
    const { stream } = slot;
    const rolledBack = stream.inTransaction;
    const releasedWriteLock = stream.holdsLock;
    this.#closeSlot(slot);
    this.#host.ctx.log("stream_expired", { stream: stream.id, rolledBack, releasedWriteLock });
  }

  #closeSlot(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    // requests queued behind a close_stream find the stream closed
    for (const work of slot.queue.splice(0)) {
      this.#pending--;
      this.#host.track(-1);
      this.#respondError(work.requestId, toHranaError(new StreamRequestError("The stream is closed", "STREAM_CLOSED")));
    }
    this.#host.registry.abandon(slot.stream);
    if (this.#slots.get(slot.streamId) === slot) this.#slots.delete(slot.streamId);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const slot of [...this.#slots.values()]) {
      if (!slot.running) this.#closeSlot(slot);
    }
    this.#cursors.clear();
    this.#sql.clear();
    this.#host.forget(this);
  }
}

/** Picks the subprotocol to speak from the client's offer (false: none of ours). */
export function pickSubprotocol(offered: ReadonlySet<string>): string | false {
  return WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false;
}
