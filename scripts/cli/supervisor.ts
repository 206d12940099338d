// Keeps a child process running: restarts it with backoff when it dies, logs why, gives up after
// a bounded number of failed restarts in a row (a crash loop ends `seed up` with an error instead
// of spinning), and stops it cleanly. Children die with their supervisor, even on kill -9: each is
// started through util-linux `setpriv --pdeathsig`, which sets PR_SET_PDEATHSIG (not reachable
// from Node) and then execs the child, so the PID is the child's own. PIDs go to files so `seed
// status` (another process) can find the children.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { writePrivateFile } from "./fs-secure.ts";
import { childRecord, record, type LogRecord } from "./json-log.ts";
import { which } from "./system-packages.ts";

export type ChildSpec = {
  name: string;
  command: string;
  args: string[];
  /** A function is called at every (re)start (secrets read from their files at that moment). */
  env: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
  pidFile: string;
  /** Ready when a stdout line matches: the child's own announcement (that line is not logged). */
  readyLine?: (line: string) => boolean;
  /** Then (or instead) resolves once the child serves; rejects when it never does. */
  ready?: (signal: AbortSignal) => Promise<void>;
  /** Time allowed for a start, announcement and readiness included. */
  startTimeoutMs?: number;
  /** Every record: the child's lines and the supervisor's events about it. */
  log: (rec: LogRecord) => void;
  /** Called once when the child keeps failing: `maxFailures` restarts in a row that did not last. */
  onGiveUp: (reason: string) => void;
  maxFailures?: number;
  minBackoffMs?: number;
};

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
const HEALTHY_AFTER_MS = 30_000; // a child that lived this long starts its backoff and count over
const STOP_GRACE_MS = 10_000;
const MAX_FAILURES = 5;
const START_TIMEOUT_MS = 30_000;

// util-linux, present on every Debian/Ubuntu; without it children are started directly (and a
// kill -9 of the supervisor would leave them running — `seed doctor` names that).
export const SETPRIV = which("setpriv");

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  });
}

export class Supervised {
  readonly spec: ChildSpec;
  #child: ChildProcess | null = null;
  #stopping = false;
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #everReady = false;
  restarts = 0;

  constructor(spec: ChildSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #event(event: string, fields: Record<string, unknown>): void {
    this.spec.log(record("seed", event, { child: this.spec.name, ...fields }));
  }

  /** Starts the child and waits until it is ready. */
  async start(): Promise<void> {
    const { spec } = this;
    const [command, args] = SETPRIV
      ? [SETPRIV, ["--pdeathsig", "TERM", "--", spec.command, ...spec.args]]
      : [spec.command, spec.args];
    const env = typeof spec.env === "function" ? spec.env() : spec.env;
    // Its own process group: Ctrl-C in a terminal reaches the supervisor only, which then stops
    // the children in order (workerd first, then the libSQL server checkpoints its WAL).
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    this.#child = child;
    const startedAt = Date.now();
    let announced: () => void = () => {};
    const announcement = new Promise<void>((resolve) => (announced = resolve));
    lines(child.stdout, (line) => {
      if (spec.readyLine?.(line)) return announced();
      spec.log(childRecord(spec.name, line));
    });
    lines(child.stderr, (line) => spec.log(childRecord(spec.name, line)));
    const exited = new Promise<never>((_, reject) => {
      child.once("error", (err) => reject(new Error(`${spec.name} could not start: ${err.message}`)));
      child.once("exit", (code, signal) => reject(new Error(`${spec.name} exited during start (${signal ?? `code ${code}`})`)));
    });
    exited.catch(() => {});
    child.once("exit", (code, signal) => this.#onExit(child, code, signal, startedAt));
    if (child.pid) writePrivateFile(spec.pidFile, `${child.pid}\n`);
    const abort = new AbortController();
    const timeoutMs = spec.startTimeoutMs ?? START_TIMEOUT_MS;
    const timeout = setTimeout(() => abort.abort(), timeoutMs);
    const timedOut = new Promise<never>((_, reject) =>
      abort.signal.addEventListener("abort", () => reject(new Error(`${spec.name} was not ready after ${timeoutMs} ms`))),
    );
    timedOut.catch(() => {});
    try {
      await Promise.race([
        (async () => {
          if (spec.readyLine) await announcement;
          if (spec.ready) await spec.ready(abort.signal);
        })(),
        exited,
        timedOut,
      ]);
      this.#everReady = true;
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    } finally {
      clearTimeout(timeout);
      abort.abort();
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (this.#child !== child) return;
    this.#child = null;
    rmSync(this.spec.pidFile, { force: true });
    // A child that never came up the first time fails `seed up` instead of looping.
    if (this.#stopping || !this.#everReady) return;
    if (Date.now() - startedAt > HEALTHY_AFTER_MS) this.#failures = 0;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const max = this.spec.maxFailures ?? MAX_FAILURES;
    if (this.#failures >= max) {
      this.#event("gave_up", { msg: `${this.spec.name} exited (${how}) after ${max} restarts in a row that did not last: giving up` });
      this.spec.onGiveUp(`${this.spec.name} keeps exiting (last: ${how}); gave up after ${max} restarts in a row`);
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, (this.spec.minBackoffMs ?? MIN_BACKOFF_MS) * 2 ** this.#failures);
    this.#failures++;
    this.#event("exited", { code, signal, restartInMs: delay, msg: `${this.spec.name} exited (${how}); restarting in ${delay} ms` });
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#timer = null;
    if (this.#stopping) return;
    try {
      await this.start();
      this.restarts++;
      this.#event("restarted", { pid: this.pid, msg: `${this.spec.name} is back (pid ${this.pid})` });
    } catch (err) {
      // start() killed it; the exit handler schedules the next attempt with a longer backoff.
      this.#event("restart_failed", { msg: `${this.spec.name} restart failed: ${(err as Error).message}` });
    }
  }

  /** Sends a signal to the running child (the libSQL server re-reads its token on SIGHUP). */
  signal(sig: NodeJS.Signals): boolean {
    return this.#child?.kill(sig) ?? false;
  }

  /** Stops the child and starts it again at once, its environment read afresh (rotated secrets). */
  async restart(): Promise<void> {
    await this.stop();
    this.#stopping = false;
    this.#failures = 0;
    await this.start();
    this.restarts++;
    this.#event("restarted", { pid: this.pid, msg: `${this.spec.name} restarted (pid ${this.pid})` });
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when the child is gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await gone;
    clearTimeout(kill);
    rmSync(this.spec.pidFile, { force: true });
  }
}
