// The last resort against a statement that never ends. The native driver runs SQL on the event
// loop's thread and has no progress handler, and its interrupt() cannot be called while a
// statement runs there — so `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
// SELECT count(*) FROM c` would hold the server forever. A small thread watches: if one
// statement runs longer than the limit, it logs why and kills the process, so the supervisor
// restarts it (every acknowledged write survives a kill; the statement's own request fails).
//
// Cost at rest: none. The thread (a worker: its own V8 isolate, ~11 MiB RSS) exists only while
// statements run: it sleeps in Atomics.wait between them and, after `idleMs` without one, ends
// itself; the next statement starts a new one before it runs (the new thread boots on its own,
// so even that statement is watched). While statements run it checks a few times per limit.
import { Worker } from "node:worker_threads";

const RUNNING = 0; // token of the statement now running, 0 when none
const IDLE_WAIT = 1; // 1 while a watcher sleeps until the next statement
const NAP = 2; // always 0: a cell to sleep on between checks
const WATCHERS = 3; // watcher threads alive (counted down by one that is about to end)

// The watcher's code: plain JS, so it runs the same from the TypeScript sources and the bundle.
// Retiring races with a statement starting: the watcher counts itself out and then looks at
// RUNNING, the main thread sets RUNNING and then counts watchers — sequentially consistent
// atomics guarantee that one of them sees the other, so a statement is never left unwatched.
const WATCHER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { state, limitMs, idleMs } = workerData;
const poll = Math.max(50, Math.floor(limitMs / 4));
for (;;) {
  Atomics.store(state, ${IDLE_WAIT}, 1);
  const woke = Atomics.wait(state, ${RUNNING}, 0, idleMs);
  Atomics.store(state, ${IDLE_WAIT}, 0);
  if (woke === "timed-out") {
    Atomics.sub(state, ${WATCHERS}, 1);
    if (Atomics.load(state, ${RUNNING}) === 0) break;
    Atomics.add(state, ${WATCHERS}, 1);
  }
  let token = Atomics.load(state, ${RUNNING});
  let since = Date.now();
  while (token !== 0) {
    Atomics.wait(state, ${NAP}, 0, poll);
    const now = Atomics.load(state, ${RUNNING});
    if (now !== token) { token = now; since = Date.now(); continue; }
    const stalledMs = Date.now() - since;
    if (stalledMs >= limitMs) {
      writeSync(2, JSON.stringify({ ts: new Date().toISOString(), event: "stalled", stalledMs, limitMs,
        message: "one statement ran longer than the limit; the driver cannot interrupt it, so the server stops itself to be restarted" }) + "\\n");
      process.kill(process.pid, "SIGKILL");
    }
  }
}
`;

/** A watcher that saw no statement for this long ends; the next statement starts another. */
export const WATCHER_IDLE_MS = 5_000;

export interface StallWatchdog {
  /** Runs `work` (one synchronous statement) under the watch. */
  guard<T>(work: () => T): T;
  stop(): Promise<void>;
}

export function startStallWatchdog(
  limitMs: number,
  log: (event: string, fields?: Record<string, unknown>) => void,
  idleMs = WATCHER_IDLE_MS,
): StallWatchdog {
  const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  const workers = new Set<Worker>();
  const spawnWatcher = () => {
    Atomics.add(state, WATCHERS, 1);
    const worker = new Worker(WATCHER, {
      eval: true,
      workerData: { state, limitMs, idleMs },
      // it allocates nearly nothing; small heaps keep its footprint small
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    workers.add(worker);
    worker.once("exit", () => workers.delete(worker));
    // the watcher failing must never take the server down with it (the next statement starts another)
    worker.on("error", (error) => {
      Atomics.sub(state, WATCHERS, 1);
      log("stall_watchdog_failed", { error: String(error) });
    });
  };
  let token = 0;
  return {
    guard<T>(work: () => T): T {
      token = token === 0x7fffffff ? 1 : token + 1;
      Atomics.store(state, RUNNING, token);
      if (Atomics.load(state, WATCHERS) === 0) spawnWatcher();
      else if (Atomics.load(state, IDLE_WAIT) === 1) Atomics.notify(state, RUNNING);
      try {
        return work();
      } finally {
        Atomics.store(state, RUNNING, 0);
      }
    },
    async stop() {
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}

/** Runs work unwatched (a limit of 0 turns the watchdog off). */
export const NO_WATCHDOG: StallWatchdog = {
  guard: (work) => work(),
  stop: async () => undefined,
};
