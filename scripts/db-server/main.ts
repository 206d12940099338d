// Standalone entry point of the libSQL server (see USAGE). Prints {"event":"listening","url":…,
// "port":…} on stdout once ready; server events go to stderr as JSON lines with a `ts`.
// SIGINT/SIGTERM close gracefully and exit 0. SIGHUP re-reads the token file: the new token
// works from the next request on and the old one stops working, without a restart. The token
// is read from a file so it never shows up in the process list.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startDbServer } from "./db-server.ts";

const USAGE = `usage: main.ts --db PATH --token-file PATH [options]

  --db PATH                        the database file (created if missing, kept in WAL mode)
  --token-file PATH                file holding the bearer token (re-read on SIGHUP)
  --port N                         port to listen on (default 0: a free port)
  --listen ADDR                    address to bind (default 127.0.0.1)
  --idle-stream-ms N               roll back and close a stream idle this long (default 10000)
  --max-body-bytes N               larger request bodies get 413 (default 8388608)
  --write-lock-timeout-ms N        a writer waits this long for its turn (default 30000)
  --max-statements-per-request N   statements one request may run (default 10000)
  --max-request-ms N               execution time one request may use (default 10000)
  --max-result-bytes N             largest result one read may return (default 67108864)
  --max-stall-ms N                 a single statement running longer stops the server, to be
                                   restarted by its supervisor (default 300000; 0: never)
  --stall-watcher-idle-ms N        the thread watching for that ends after this long without
                                   a statement, until the next one (default 5000)
  --help                           show this text`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

function logLine(event: string, fields?: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), event, ...fields })}\n`);
}

function readToken(path: string): string {
  const token = readFileSync(path, "utf8").trim();
  if (token === "") throw new UsageError("the token file is empty");
  return token;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        db: { type: "string" },
        "token-file": { type: "string" },
        port: { type: "string" },
        listen: { type: "string" },
        "idle-stream-ms": { type: "string" },
        "max-body-bytes": { type: "string" },
        "write-lock-timeout-ms": { type: "string" },
        "max-statements-per-request": { type: "string" },
        "max-request-ms": { type: "string" },
        "max-result-bytes": { type: "string" },
        "max-stall-ms": { type: "string" },
        "stall-watcher-idle-ms": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const tokenFile = values["token-file"];
  if (values.db === undefined || tokenFile === undefined) throw new UsageError(USAGE);

  const server = await startDbServer({
    dbPath: values.db,
    token: readToken(tokenFile),
    listen: values.listen,
    port: intFlag("port", values.port),
    idleStreamMs: intFlag("idle-stream-ms", values["idle-stream-ms"]),
    maxBodyBytes: intFlag("max-body-bytes", values["max-body-bytes"]),
    writeLockTimeoutMs: intFlag("write-lock-timeout-ms", values["write-lock-timeout-ms"]),
    maxStatementsPerRequest: intFlag("max-statements-per-request", values["max-statements-per-request"]),
    maxRequestMs: intFlag("max-request-ms", values["max-request-ms"]),
    maxResultBytes: intFlag("max-result-bytes", values["max-result-bytes"]),
    maxStallMs: intFlag("max-stall-ms", values["max-stall-ms"]),
    stallWatcherIdleMs: intFlag("stall-watcher-idle-ms", values["stall-watcher-idle-ms"]),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ event: "listening", url: server.url, port: server.port })}\n`);

  process.on("SIGHUP", () => {
    try {
      server.setToken(readToken(tokenFile));
      logLine("token_reloaded");
    } catch (error) {
      logLine("token_reload_failed", { error: `${error instanceof Error ? error.message : String(error)}; the previous token stays in force` });
    }
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logLine("signal", { signal });
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logLine("close_failed", { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    process.stderr.write(`${message}\n`);
    process.exit(2);
  }
  logLine("fatal", { error: message });
  process.exit(1);
});
