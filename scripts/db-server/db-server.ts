// A libSQL server speaking Hrana 2 and 3 over HTTP, for @libsql/client and drizzle-orm/libsql.
//
//   GET  /health                            liveness, no auth
//   GET  /v2, /v3, /v3-protobuf             version probes, no auth
//   POST /v2/pipeline, /v3/pipeline         pipelines, JSON
//   POST /v3-protobuf/pipeline              pipelines, Protobuf
//   POST /v3/cursor, /v3-protobuf/cursor    one batch, its result as a stream of entries
//   GET  /stats                             counters for /metrics
//   GET  / with Upgrade: websocket          Hrana 3 (and 2) over WebSocket, JSON (hrana-ws.ts)
//
// Every other route needs `Authorization: Bearer <token>`; a WebSocket sends the token in its
// hello message instead. Writers are serialised by a
// process-wide lock so concurrent write transactions queue instead of failing with SQLITE_BUSY.
import { statSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { ServerOptions } from "ws";
import { BearerAuth } from "./bearer-auth.ts";
import { ConnectionPool } from "./connection-pool.ts";
import {
  DbServerError,
  MethodNotAllowedError,
  RouteNotFoundError,
  ServerClosingError,
  UnauthorizedError,
  isExpectedError,
} from "./errors.ts";
import { GroupCommit } from "./group-commit.ts";
import { UndecodableBodyError, jsonCodec, protobufCodec } from "./hrana-codec.ts";
import type { HranaCodec } from "./hrana-codec.ts";
import type { StreamContext } from "./hrana-stream.ts";
import { HranaWsConnection, pickSubprotocol } from "./hrana-ws.ts";
import { readBody, send, sendJson } from "./http-io.ts";
import { runCursor, runPipeline } from "./run-pipeline.ts";
import { NO_WATCHDOG, startStallWatchdog, WATCHER_IDLE_MS } from "./stall-watchdog.ts";
import { StreamRegistry } from "./stream-registry.ts";
import { WriteLock } from "./write-lock.ts";

export interface DbServerOptions {
  dbPath: string;
  token: string;
  /** Address to bind; default 127.0.0.1. */
  listen?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A parked stream with no request for this long is rolled back and closed; default 10 s. */
  idleStreamMs?: number;
  /** Larger request bodies get 413; default 8 MiB. */
  maxBodyBytes?: number;
  /** How long a writer waits for the write lock before failing with SQLITE_BUSY; default 30 s. */
  writeLockTimeoutMs?: number;
  /** Statements one request may run; default 10,000. */
  maxStatementsPerRequest?: number;
  /** Execution time one request may use (not counting waits for the write lock); default 10 s. */
  maxRequestMs?: number;
  /** Largest result one read may return; default 64 MiB. */
  maxResultBytes?: number;
  /** A single statement running longer than this stops the process (to be restarted by its
   * supervisor), since the driver cannot interrupt it; 0 turns this off; default 5 min. */
  maxStallMs?: number;
  /** The thread that watches for such a statement ends after this long without any and comes
   * back with the next one (nothing of it at rest); default 5 s. */
  stallWatcherIdleMs?: number;
  /** One JSON object per line; never contains the token. */
  log?: (line: string) => void;
}

export interface DbServer {
  readonly url: string;
  readonly port: number;
  /** Accepts `token` from the next request on; the previous token stops working at once, and
   * the streams opened with it are rolled back and closed. */
  setToken(token: string): void;
  close(): Promise<void>;
}

const DEFAULTS = {
  listen: "127.0.0.1",
  port: 0,
  idleStreamMs: 10_000,
  maxBodyBytes: 8 * 1024 * 1024,
  writeLockTimeoutMs: 30_000,
  maxStatementsPerRequest: 10_000,
  maxRequestMs: 10_000,
  maxResultBytes: 64 * 1024 * 1024,
  maxStallMs: 300_000,
  // a request that runs longer than this lets others run before it continues
  sliceMs: 10,
  // most autocommit writes sharing one commit
  maxGroup: 256,
  // in-flight requests get this long to finish on close before their sockets are cut
  drainMs: 5_000,
  // a socket that sends nothing for this long is closed (a request still being executed is not
  // affected: the socket's timer only counts while it is idle between bytes)
  socketIdleMs: 60_000,
  maxConnections: 512,
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

type Route =
  | { kind: "probe" }
  | { kind: "pipeline"; codec: HranaCodec }
  | { kind: "cursor"; codec: HranaCodec }
  | { kind: "stats" };

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ["/v2", { kind: "probe" }],
  ["/v3", { kind: "probe" }],
  ["/v3-protobuf", { kind: "probe" }],
  ["/v2/pipeline", { kind: "pipeline", codec: jsonCodec }],
  ["/v3/pipeline", { kind: "pipeline", codec: jsonCodec }],
  ["/v3-protobuf/pipeline", { kind: "pipeline", codec: protobufCodec }],
  ["/v3/cursor", { kind: "cursor", codec: jsonCodec }],
  ["/v3-protobuf/cursor", { kind: "cursor", codec: protobufCodec }],
  ["/stats", { kind: "stats" }],
]);

export async function startDbServer(opts: DbServerOptions): Promise<DbServer> {
  const idleStreamMs = positiveInteger("idleStreamMs", opts.idleStreamMs ?? DEFAULTS.idleStreamMs);
  const maxBodyBytes = positiveInteger("maxBodyBytes", opts.maxBodyBytes ?? DEFAULTS.maxBodyBytes);
  const writeLockTimeoutMs = positiveInteger("writeLockTimeoutMs", opts.writeLockTimeoutMs ?? DEFAULTS.writeLockTimeoutMs);
  const maxStatements = positiveInteger("maxStatementsPerRequest", opts.maxStatementsPerRequest ?? DEFAULTS.maxStatementsPerRequest);
  const maxRequestMs = positiveInteger("maxRequestMs", opts.maxRequestMs ?? DEFAULTS.maxRequestMs);
  const maxResultBytes = positiveInteger("maxResultBytes", opts.maxResultBytes ?? DEFAULTS.maxResultBytes);
  const maxStallMs = opts.maxStallMs ?? DEFAULTS.maxStallMs;
  if (!Number.isSafeInteger(maxStallMs) || maxStallMs < 0) throw new RangeError("maxStallMs must be a non-negative integer");
  const listen = opts.listen ?? DEFAULTS.listen;
  let auth = new BearerAuth(opts.token);
  const emit = opts.log;
  const log = (event: string, fields?: Record<string, unknown>): void => {
    emit?.(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }));
  };

  const pool = new ConnectionPool({
    dbPath: opts.dbPath,
    // FULL: a commit that was acknowledged survives power loss, not just a process crash.
    synchronous: "FULL",
    busyTimeoutMs: 200,
    maxOpen: 64,
    maxIdle: 32,
    statementCacheSize: 256,
  });
  const lock = new WriteLock();
  const counters = { statements: 0, statementMs: 0 };
  const watcherIdleMs = positiveInteger("stallWatcherIdleMs", opts.stallWatcherIdleMs ?? WATCHER_IDLE_MS);
  const watchdog = maxStallMs === 0 ? NO_WATCHDOG : startStallWatchdog(maxStallMs, log, watcherIdleMs);
  const env = { pool, counters, watchdog };
  const groupCommit = new GroupCommit({ env, pool, lock, writeLockTimeoutMs, maxResultBytes, maxGroup: DEFAULTS.maxGroup, log });
  const ctx: StreamContext = {
    ...env,
    lock,
    writeLockTimeoutMs,
    groupCommit,
    budget: { maxStatements, maxExecutionMs: maxRequestMs, sliceMs: DEFAULTS.sliceMs },
    maxResultBytes,
    log,
    reportUnexpected: (error) => {
      if (!isExpectedError(error)) log("unexpected_error", { error: String(error) });
    },
  };
  const registry = new StreamRegistry(ctx, idleStreamMs);

  let closing = false;
  let inflight = 0;
  let onDrained: (() => void) | undefined;
  const track = (delta: 1 | -1): void => {
    inflight += delta;
    if (inflight === 0) onDrained?.();
  };

  const sockets = new Set<HranaWsConnection>();
  // (closeTimeout is in ws 8.23 but not yet in @types/ws)
  const wsOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: maxBodyBytes,
    perMessageDeflate: false,
    // a closed socket whose client does not answer the close frame is cut after this long, so a
    // silent client cannot hold up a shutdown
    closeTimeout: 1_000,
    handleProtocols: (offered) => pickSubprotocol(offered),
  };
  const wss = new WebSocketServer(wsOptions);
  const wsHost = {
    ctx,
    registry,
    idleStreamMs,
    acceptsToken: (token: string | undefined) => auth.acceptsToken(token),
    closing: () => closing,
    track,
    forget: (connection: HranaWsConnection) => sockets.delete(connection),
  };

  /** Answers a refused WebSocket upgrade the way an HTTP request would be answered. */
  function refuseUpgrade(socket: Duplex, error: DbServerError): void {
    const body = JSON.stringify({ message: error.message, code: error.code });
    socket.end(
      `HTTP/1.1 ${error.status} ${error.code}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  function sendError(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof DbServerError) {
      const headers: Record<string, string> = error.status === 413 ? { connection: "close" } : {};
      sendJson(res, error.status, { message: error.message, code: error.code }, headers);
      return;
    }
    log("unexpected_error", { error: String(error) });
    sendJson(res, 500, { message: "Internal server error", code: "INTERNAL_ERROR" });
  }

  /** Reads and decodes a body; a body that names a stream but cannot be decoded closes that
   * stream, since the client treats its stream as dead after a 4xx. */
  async function decode<T>(req: IncomingMessage, decodeBody: (body: Buffer) => T): Promise<T> {
    const body = await readBody(req, maxBodyBytes);
    try {
      return decodeBody(body);
    } catch (error) {
      if (error instanceof UndecodableBodyError && error.baton !== null) {
        try {
          registry.abandon(registry.take(error.baton));
        } catch {
          // unknown baton: nothing to close
        }
      }
      throw error;
    }
  }

  async function handlePipeline(req: IncomingMessage, res: ServerResponse, codec: HranaCodec): Promise<void> {
    const pipeline = await decode(req, (body) => codec.decodePipeline(body));
    if (closing) throw new ServerClosingError();
    const stream = pipeline.baton === null ? registry.open() : registry.take(pipeline.baton);
    let body: string | Uint8Array;
    try {
      const results = await runPipeline(ctx, stream, pipeline.requests);
      body = codec.encodePipeline({ baton: registry.release(stream), results });
    } catch (error) {
      registry.abandon(stream);
      throw error;
    }
    send(res, 200, codec.pipelineType, body);
  }

  async function handleCursor(req: IncomingMessage, res: ServerResponse, codec: HranaCodec): Promise<void> {
    const cursor = await decode(req, (body) => codec.decodeCursor(body));
    if (closing) throw new ServerClosingError();
    const stream = cursor.baton === null ? registry.open() : registry.take(cursor.baton);
    let body: string | Uint8Array;
    try {
      const outcome = await runCursor(ctx, stream, cursor.steps);
      body = codec.encodeCursor({ baton: registry.release(stream), outcome });
    } catch (error) {
      registry.abandon(stream);
      throw error;
    }
    send(res, 200, codec.cursorType, body);
  }

  function stats(): Record<string, unknown> {
    const wal = statSync(`${opts.dbPath}-wal`, { throwIfNoEntry: false });
    return {
      statements: counters.statements,
      statementMs: Math.round(counters.statementMs * 1000) / 1000,
      groupCommits: { groups: groupCommit.groups, statements: groupCommit.grouped, queued: groupCommit.queued },
      openStreams: registry.liveCount,
      openConnections: pool.openCount,
      writeLockWaiting: lock.waiting,
      walBytes: wal?.size ?? 0,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = req.method ?? "GET";
    if (path === "/health") {
      if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowedError(method, path);
      if (closing) throw new ServerClosingError();
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (closing) throw new ServerClosingError();
    const target = ROUTES.get(path);
    // version probes answer without a token, as sqld's do: the official client probes
    // without its Authorization header and falls back to Hrana 2 on anything but a 2xx
    if (target?.kind !== "probe" && !auth.accepts(req.headers.authorization)) throw new UnauthorizedError();
    if (target === undefined) throw new RouteNotFoundError(path);
    const wanted = target.kind === "probe" || target.kind === "stats" ? "GET" : "POST";
    if (method !== wanted && !(wanted === "GET" && method === "HEAD")) throw new MethodNotAllowedError(method, path);
    switch (target.kind) {
      case "probe":
        sendJson(res, 200, { version: path === "/v2" ? 2 : 3 });
        return;
      case "stats":
        sendJson(res, 200, stats());
        return;
      case "pipeline":
        await handlePipeline(req, res, target.codec);
        return;
      case "cursor":
        await handleCursor(req, res, target.codec);
        return;
    }
  }

  // No periodic timers, so a resting server wakes up for nothing: Node checks headers and request
  // timeouts on a 30 s interval unless both are off; instead every socket gets an idle timeout
  // (a timer that exists only while the socket does), and the number of sockets is capped.
  const server = createServer(
    // (2^31 - 1 ms is the longest interval a timer takes; with both timeouts off it checks nothing).
    // An idle keep-alive connection lasts as long as any idle socket: with Node's 5 s default,
    // workerd reused connections the server was closing ("Network connection lost"), which failed
    // the mind's cycle after a burst of webhooks (mind-loop's burst test, 3 runs of 4).
    { noDelay: true, keepAliveTimeout: DEFAULTS.socketIdleMs, headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 },
    (req, res) => {
      track(1);
      res.on("error", () => undefined);
      route(req, res)
        .catch((error: unknown) => sendError(res, error))
        .finally(() => track(-1));
    },
  );
  server.timeout = DEFAULTS.socketIdleMs;
  server.maxConnections = DEFAULTS.maxConnections;
  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => undefined);
    const path = (req.url ?? "/").split("?")[0];
    if (closing) refuseUpgrade(socket, new ServerClosingError());
    else if (path !== "/") refuseUpgrade(socket, new RouteNotFoundError(path ?? "/"));
    else wss.handleUpgrade(req, socket, head, (ws) => sockets.add(new HranaWsConnection(ws, wsHost)));
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? DEFAULTS.port, listen, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    pool.close();
    await watchdog.stop();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = listen.includes(":") ? `[${listen}]` : listen;
  const url = `http://${host}:${port}`;
  log("listening", { url, port });

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    lock.shutdown(new ServerClosingError());
    if (inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DEFAULTS.drainMs);
        onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const connection of [...sockets]) connection.close(1001, "The server is shutting down");
    wss.close();
    registry.closeAll();
    try {
      pool.close();
    } catch (error) {
      log("checkpoint_failed", { error: String(error) });
    }
    server.closeAllConnections();
    await serverClosed;
    await watchdog.stop();
    log("closed");
  }

  return {
    url,
    port,
    setToken(token: string) {
      auth = new BearerAuth(token);
      const closedStreams = registry.closeParked();
      // WebSocket connections authenticated with the old token: closed, their streams rolled back
      const closedSockets = sockets.size;
      for (const connection of [...sockets]) connection.close(1008, "The database token changed");
      log("token_changed", { closedStreams, closedSockets });
    },
    close: () => (closed ??= shutdown()),
  };
}
