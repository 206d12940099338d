// Keeps a child process running: restarts it with backoff when it dies, logs why, and stops it
// cleanly. PIDs go to files so `seed status` (another process) can find the children.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { writePrivateFile } from "./fs-secure.ts";

export type ChildSpec = {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  pidFile: string;
  /** Resolves once the child serves; rejects (the child is then killed) when it never does. */
  ready: (child: ChildProcess) => Promise<void>;
  log: (line: string) => void;
};

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
const HEALTHY_AFTER_MS = 30_000; // a child that lived this long starts its backoff over
const STOP_GRACE_MS = 10_000;

function pipeLines(stream: NodeJS.ReadableStream | null, prefix: string, log: (l: string) => void): void {
  if (!stream) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (line) log(`[${prefix}] ${line}`);
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

  /** Starts the child and waits until it is ready. */
  async start(): Promise<void> {
    const { spec } = this;
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    const startedAt = Date.now();
    pipeLines(child.stdout, spec.name, spec.log);
    pipeLines(child.stderr, spec.name, spec.log);
    const exited = new Promise<never>((_, reject) => {
      child.once("error", (err) => reject(new Error(`${spec.name} could not start: ${err.message}`)));
      child.once("exit", (code, signal) => reject(new Error(`${spec.name} exited during start (${signal ?? `code ${code}`})`)));
    });
    exited.catch(() => {});
    child.once("exit", (code, signal) => this.#onExit(child, code, signal, startedAt));
    if (child.pid) writePrivateFile(spec.pidFile, `${child.pid}\n`);
    try {
      await Promise.race([spec.ready(child), exited]);
      this.#everReady = true;
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (this.#child !== child) return;
    this.#child = null;
    rmSync(this.spec.pidFile, { force: true });
    // A child that never came up the first time fails `seed up` instead of looping.
    if (this.#stopping || !this.#everReady) return;
    if (Date.now() - startedAt > HEALTHY_AFTER_MS) this.#failures = 0;
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#failures);
    this.#failures++;
    this.spec.log(`[seed] ${this.spec.name} exited (${signal ? `signal ${signal}` : `code ${code}`}); restarting in ${delay} ms`);
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#timer = null;
    if (this.#stopping) return;
    try {
      await this.start();
      this.restarts++;
      this.spec.log(`[seed] ${this.spec.name} is back (pid ${this.pid})`);
    } catch (err) {
      // start() killed it; the exit handler schedules the next attempt with a longer backoff.
      this.spec.log(`[seed] ${this.spec.name} restart failed: ${(err as Error).message}`);
    }
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
