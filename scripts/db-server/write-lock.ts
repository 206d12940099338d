// The process-wide writer lock. SQLite allows one writer per database; queuing writers here in
// FIFO order means a second write transaction waits for its turn instead of failing with
// SQLITE_BUSY, and the wait is bounded so a stuck client cannot hang everyone forever.
import { WriteLockTimeoutError } from "./errors.ts";

interface Waiter {
  owner: object;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class WriteLock {
  #holder: object | undefined;
  readonly #queue: Waiter[] = [];
  #shutdown: Error | undefined;

  get holder(): object | undefined {
    return this.#holder;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves once `owner` holds the lock. `onWait` runs only if it actually has to queue. */
  acquire(owner: object, timeoutMs: number, onWait?: () => void): Promise<void> {
    if (this.#holder === undefined) {
      this.#holder = owner;
      return Promise.resolve();
    }
    if (this.#holder === owner) return Promise.resolve();
    if (this.#shutdown !== undefined) return Promise.reject(this.#shutdown);
    return new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const waiter: Waiter = {
        owner,
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.#queue.indexOf(waiter);
          if (index !== -1) this.#queue.splice(index, 1);
          reject(new WriteLockTimeoutError(Date.now() - started));
        }, timeoutMs),
      };
      this.#queue.push(waiter);
      onWait?.();
    });
  }

  /** Hands the lock straight to the next waiter, so nobody can barge in between. */
  release(owner: object): void {
    if (this.#holder !== owner) return;
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#holder = undefined;
      return;
    }
    clearTimeout(next.timer);
    this.#holder = next.owner;
    next.resolve();
  }

  /** Fails every waiter, and every later one, with `error`; the current holder keeps the lock
   * until it releases, so running work can finish. */
  shutdown(error: Error): void {
    this.#shutdown = error;
    for (const waiter of this.#queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
