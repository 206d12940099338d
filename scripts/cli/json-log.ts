// Structured logs: one JSON object per line, `{ts, proc, event, msg?, …}`. The supervisor writes
// its own events and every line of its children through here, to stdout and to
// SEED_HOME/logs/seed.log (0600, rotated at 10 MiB; `seed logs` reads it). Under systemd each
// process writes to the journal itself. A log line never holds a secret: the callers pass none.
import { createWriteStream, existsSync, renameSync, statSync, type WriteStream } from "node:fs";

export type LogRecord = { ts: string; proc: string; event: string; msg?: string } & Record<string, unknown>;
export type Logger = (proc: string, event: string, fields?: Record<string, unknown>) => void;

const ROTATE_BYTES = 10 * 1024 * 1024;

export function record(proc: string, event: string, fields: Record<string, unknown> = {}): LogRecord {
  return { ts: new Date().toISOString(), proc, event, ...fields };
}

/** A child's output line as a record: its own JSON object (given a ts and proc if it has none), or its text as msg. */
export function childRecord(proc: string, line: string): LogRecord {
  if (line.startsWith("{")) {
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (obj && typeof obj === "object" && !Array.isArray(obj)) {
        return { ts: new Date().toISOString(), proc, event: "log", ...obj } as LogRecord;
      }
    } catch {
      // not JSON after all: logged as text
    }
  }
  return record(proc, "output", { msg: line });
}

export class LogFile {
  readonly file: string;
  #stream: WriteStream;
  #bytes: number;

  constructor(file: string) {
    this.file = file;
    this.#bytes = existsSync(file) ? statSync(file).size : 0;
    this.#stream = createWriteStream(file, { flags: "a", mode: 0o600 });
  }

  write(line: string): void {
    if (this.#bytes > ROTATE_BYTES) {
      this.#stream.end();
      renameSync(this.file, `${this.file}.1`);
      this.#stream = createWriteStream(this.file, { flags: "a", mode: 0o600 });
      this.#bytes = 0;
    }
    this.#bytes += Buffer.byteLength(line) + 1;
    this.#stream.write(`${line}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

/** A logger that writes each record as one JSON line to stdout and, when given, a log file. */
export function jsonLogger(file?: LogFile): { log: Logger; line: (rec: LogRecord) => void } {
  const line = (rec: LogRecord) => {
    const text = JSON.stringify(rec);
    process.stdout.write(`${text}\n`);
    file?.write(text);
  };
  return { log: (proc, event, fields) => line(record(proc, event, fields)), line };
}
