// Starts the real libSQL server (scripts/db-server/main.ts) as a child process in a fresh temp
// dir whose path contains a space, and exposes its URL, token and event log to tests.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../scripts/db-server/main.ts", import.meta.url));

/** The ways a client reaches the server: Hrana over HTTP, or over WebSocket (hrana3). */
export type DbTransport = "http" | "ws";
export const DB_TRANSPORTS: readonly DbTransport[] = ["http", "ws"];

/** The URL @libsql/client is given for `transport`. */
export function clientUrl(server: { readonly url: string }, transport: DbTransport): string {
  return transport === "ws" ? server.url.replace(/^http:/, "ws:") : server.url;
}

export type ServerEvent = Record<string, unknown> & { event: string };

export interface DbServerProcessOptions {
  /** Extra flags for main.ts, e.g. ["--idle-stream-ms", "300"]. */
  args?: string[];
  /** Flags for node itself, e.g. ["--cpu-prof", "--cpu-prof-dir", dir]. */
  nodeArgs?: string[];
}

export interface DbServerProcess {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly dbPath: string;
  readonly dir: string;
  readonly pid: number;
  /** Events the server wrote to stderr so far, oldest first. */
  readonly events: readonly ServerEvent[];
  /** Every byte the server wrote to stdout and stderr so far (all runs), unparsed. */
  output(): Buffer;
  /** Resolves with the first event (past or future) that matches. */
  waitForEvent(match: (event: ServerEvent) => boolean, timeoutMs?: number): Promise<ServerEvent>;
  /** Resolves once the running process exits by itself (it then counts as stopped). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Graceful stop (SIGTERM); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Starts the server again on the same database and token (new port, so re-read `url`). */
  restart(): Promise<void>;
  /** Stops the server if running and removes the temp dir. */
  dispose(): Promise<void>;
}

class ServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerStartError";
  }
}

interface Running {
  child: ChildProcess;
  url: string;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startDbServerProcess(options: DbServerProcessOptions = {}): Promise<DbServerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed db "));
  const dbPath = path.join(dir, "main db.sqlite");
  const tokenFile = path.join(dir, "token");
  const token = randomBytes(24).toString("hex");
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

  const events: ServerEvent[] = [];
  const raw: Buffer[] = [];
  const listeners = new Set<(event: ServerEvent) => void>();

  async function launch(): Promise<Running> {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), MAIN, "--db", dbPath, "--token-file", tokenFile, "--port", "0", ...(options.args ?? [])],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (chunk: Buffer) => raw.push(chunk));
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => {
      stderr.push(line);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof parsed === "object" && parsed !== null && typeof (parsed as { event?: unknown }).event === "string") {
        const event = parsed as ServerEvent;
        events.push(event);
        for (const listener of listeners) listener(event);
      }
    });
    const listening = await new Promise<{ url: string; port: number }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        try {
          const parsed = JSON.parse(line) as { event?: unknown; url?: unknown; port?: unknown };
          if (parsed.event === "listening" && typeof parsed.url === "string" && typeof parsed.port === "number") {
            resolve({ url: parsed.url, port: parsed.port });
            return;
          }
        } catch {
          // fall through
        }
        reject(new ServerStartError(`unexpected first line from the db server: ${line}`));
      });
      void exited.then(({ code, signal }) =>
        reject(new ServerStartError(`db server exited (${code ?? signal}) before listening: ${stderr.join("\n")}`)),
      );
    });
    return { child, exited, ...listening };
  }

  let running: Running | undefined = await launch();

  const current = (): Running => {
    if (running === undefined) throw new ServerStartError("the db server is not running");
    return running;
  };

  async function kill(signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const r = current();
    running = undefined;
    r.child.kill(signal);
    return r.exited;
  }

  let lastUrl = running.url;
  let lastPort = running.port;
  let lastPid = running.child.pid ?? -1;

  return {
    get url() {
      return running?.url ?? lastUrl;
    },
    get port() {
      return running?.port ?? lastPort;
    },
    get pid() {
      return running?.child.pid ?? lastPid;
    },
    token,
    dbPath,
    dir,
    events,
    output: () => Buffer.concat(raw),
    waitForEvent(match, timeoutMs = 30_000) {
      const seen = events.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no matching db server event within ${timeoutMs} ms`));
        }, timeoutMs);
        const listener = (event: ServerEvent): void => {
          if (!match(event)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(event);
        };
        listeners.add(listener);
      });
    },
    kill,
    async exited() {
      const r = current();
      const result = await r.exited;
      if (running === r) running = undefined;
      return result;
    },
    async stop() {
      if (running === undefined) return null;
      return (await kill("SIGTERM")).code;
    },
    async restart() {
      if (running !== undefined) await kill("SIGTERM");
      running = await launch();
      lastUrl = running.url;
      lastPort = running.port;
      lastPid = running.child.pid ?? -1;
    },
    async dispose() {
      if (running !== undefined) await kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
