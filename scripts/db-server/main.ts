// Standalone entry point:
//   node scripts/db-server/main.ts --db PATH --token-file PATH [--port N] [--listen ADDR]
//     [--idle-stream-ms N] [--max-body-bytes N] [--write-lock-timeout-ms N]
// Prints {"event":"listening","url":…,"port":…} on stdout once ready; server events go to stderr
// as JSON lines. SIGINT/SIGTERM close gracefully and exit 0. The token is read from a file so it
// never shows up in the process list; SIGHUP reads the file again (a rotated token replaces the
// old one at once; a file that cannot be read or is empty keeps the old token and says so).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startDbServer } from "./db-server.ts";

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      "token-file": { type: "string" },
      port: { type: "string" },
      listen: { type: "string" },
      "idle-stream-ms": { type: "string" },
      "max-body-bytes": { type: "string" },
      "write-lock-timeout-ms": { type: "string" },
    },
    strict: true,
  });
  if (values.db === undefined || values["token-file"] === undefined) {
    throw new UsageError("usage: main.ts --db PATH --token-file PATH [--port N] [--listen ADDR]");
  }
  const token = readFileSync(values["token-file"], "utf8").trim();
  if (token === "") throw new UsageError("the token file is empty");

  const server = await startDbServer({
    dbPath: values.db,
    token,
    listen: values.listen,
    port: intFlag("port", values.port),
    idleStreamMs: intFlag("idle-stream-ms", values["idle-stream-ms"]),
    maxBodyBytes: intFlag("max-body-bytes", values["max-body-bytes"]),
    writeLockTimeoutMs: intFlag("write-lock-timeout-ms", values["write-lock-timeout-ms"]),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ event: "listening", url: server.url, port: server.port })}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${JSON.stringify({ event: "signal", signal })}\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${JSON.stringify({ event: "close_failed", error: String(error) })}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", () => {
    let next: string;
    try {
      next = readFileSync(values["token-file"]!, "utf8").trim();
      if (next === "") throw new Error("the token file is empty");
    } catch (error) {
      process.stderr.write(`${JSON.stringify({ event: "token_reload_failed", error: error instanceof Error ? error.message : String(error) })}\n`);
      return;
    }
    server.setToken(next);
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ event: "fatal", error: message })}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
