// A libSQL server speaking Hrana 2 over HTTP (JSON), for @libsql/client and drizzle-orm/libsql.
//
//   GET  /health        liveness, no auth
//   GET  /v2            version probe
//   POST /v2/pipeline   run a pipeline of stream requests
//
// Every route but /health needs `Authorization: Bearer <token>`. Writers are serialised by a
// process-wide lock so concurrent write transactions queue instead of failing with SQLITE_BUSY.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BearerAuth } from "./bearer-auth.ts";
import { ConnectionPool } from "./connection-pool.ts";
import {
  DbServerError,
  MethodNotAllowedError,
  ProtocolError,
  RouteNotFoundError,
  ServerClosingError,
  UnauthorizedError,
  isExpectedError,
} from "./errors.ts";
import { batonOf, decodePipeline } from "./hrana-decode.ts";
import type { StreamContext } from "./hrana-stream.ts";
import type { PipelineRequest, PipelineResponse } from "./hrana-types.ts";
import { readBody, sendJson } from "./http-io.ts";
import { runPipeline } from "./run-pipeline.ts";
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
  /** One JSON object per line; never contains the token. */
  log?: (line: string) => void;
}

export interface DbServer {
  readonly url: string;
  readonly port: number;
  /** Accepts `token` from now on, and no other (a rotated token: the old one is refused at once). */
  setToken(token: string): void;
  close(): Promise<void>;
}

const DEFAULTS = {
  listen: "127.0.0.1",
  port: 0,
  idleStreamMs: 10_000,
  maxBodyBytes: 8 * 1024 * 1024,
  writeLockTimeoutMs: 30_000,
  // in-flight requests get this long to finish on close before their sockets are cut
  drainMs: 5_000,
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

export async function startDbServer(opts: DbServerOptions): Promise<DbServer> {
  const idleStreamMs = positiveInteger("idleStreamMs", opts.idleStreamMs ?? DEFAULTS.idleStreamMs);
  const maxBodyBytes = positiveInteger("maxBodyBytes", opts.maxBodyBytes ?? DEFAULTS.maxBodyBytes);
  const writeLockTimeoutMs = positiveInteger("writeLockTimeoutMs", opts.writeLockTimeoutMs ?? DEFAULTS.writeLockTimeoutMs);
  const listen = opts.listen ?? DEFAULTS.listen;
  let auth = new BearerAuth(opts.token);
  const emit = opts.log;
  const log = (event: string, fields?: Record<string, unknown>): void => {
    emit?.(JSON.stringify({ event, ...fields }));
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
  const ctx: StreamContext = {
    pool,
    lock,
    writeLockTimeoutMs,
    log,
    reportUnexpected: (error) => {
      if (!isExpectedError(error)) log("unexpected_error", { error: String(error) });
    },
  };
  const registry = new StreamRegistry(ctx, idleStreamMs);

  let closing = false;
  let inflight = 0;
  let onDrained: (() => void) | undefined;

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

  async function parsePipeline(req: IncomingMessage): Promise<PipelineRequest> {
    const body = await readBody(req, maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ProtocolError("The request body is not valid JSON");
    }
    try {
      return decodePipeline(json);
    } catch (error) {
      // the client will treat its stream as dead after a 4xx, so do not leave it open
      const baton = batonOf(json);
      if (baton !== null) {
        try {
          registry.abandon(registry.take(baton));
        } catch {
          // unknown baton: nothing to close
        }
      }
      throw error;
    }
  }

  async function handlePipeline(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pipeline = await parsePipeline(req);
    if (closing) throw new ServerClosingError();
    const stream = pipeline.baton === null ? registry.open() : registry.take(pipeline.baton);
    let response: PipelineResponse;
    try {
      const results = await runPipeline(ctx, stream, pipeline.requests);
      response = { baton: registry.release(stream), base_url: null, results };
    } catch (error) {
      registry.abandon(stream);
      throw error;
    }
    sendJson(res, 200, response);
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
    if (!auth.accepts(req.headers.authorization)) throw new UnauthorizedError();
    if (path === "/v2") {
      if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowedError(method, path);
      sendJson(res, 200, { version: 2 });
      return;
    }
    if (path === "/v2/pipeline") {
      if (method !== "POST") throw new MethodNotAllowedError(method, path);
      await handlePipeline(req, res);
      return;
    }
    // includes /v3 and /v3-protobuf: the client falls back to v2 on any non-2xx probe
    throw new RouteNotFoundError(path);
  }

  const server = createServer({ noDelay: true, keepAliveTimeout: 5_000 }, (req, res) => {
    inflight++;
    res.on("error", () => undefined);
    route(req, res)
      .catch((error: unknown) => sendError(res, error))
      .finally(() => {
        inflight--;
        if (inflight === 0) onDrained?.();
      });
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
    registry.closeAll();
    try {
      pool.close();
    } catch (error) {
      log("checkpoint_failed", { error: String(error) });
    }
    server.closeAllConnections();
    await serverClosed;
    log("closed");
  }

  return {
    url,
    port,
    setToken: (token: string) => {
      auth = new BearerAuth(token);
      log("token_reloaded");
    },
    close: () => (closed ??= shutdown()),
  };
}
