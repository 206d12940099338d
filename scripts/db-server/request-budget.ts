// What one HTTP request may use: a number of statements and an amount of execution time. The
// native driver runs statements on the event loop's thread, so a request that runs statement
// after statement would hold every other client up; the budget yields to the event loop between
// statements once a slice of time is used, and stops the request, with a clear error, once it
// has used its statements or its time. (A single statement cannot be interrupted: the driver
// gives no progress handler, and its interrupt() cannot be called while it runs on this thread.)
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { RequestBudgetError } from "./errors.ts";

export interface BudgetLimits {
  /** Statements one request may run (execute, batch steps, sequence statements together). */
  readonly maxStatements: number;
  /** Execution time one request may use, not counting waits for the write lock. */
  readonly maxExecutionMs: number;
  /** After this much execution without a pause, the request lets other clients run. */
  readonly sliceMs: number;
}

export class RequestBudget {
  readonly #limits: BudgetLimits;
  readonly #now: () => number;
  #statementsLeft: number;
  #executionMs = 0;
  #sinceYieldMs = 0;

  constructor(limits: BudgetLimits, now: () => number = performance.now.bind(performance)) {
    this.#limits = limits;
    this.#now = now;
    this.#statementsLeft = limits.maxStatements;
  }

  /** Takes `count` statements from the budget, or fails without taking any. */
  spend(count: number): void {
    if (count > this.#statementsLeft) {
      throw new RequestBudgetError(
        `A request may run at most ${this.#limits.maxStatements} statements; this one asks for ` +
          `${this.#limits.maxStatements - this.#statementsLeft + count}. Split the work into several requests.`,
        "TOO_MANY_STATEMENTS",
      );
    }
    this.#statementsLeft -= count;
  }

  /** Runs one synchronous piece of work, counting its time; refuses once the time is used up. */
  run<T>(work: () => T): T {
    if (this.#executionMs >= this.#limits.maxExecutionMs) {
      throw new RequestBudgetError(
        `The request used its ${this.#limits.maxExecutionMs} ms of execution time; the rest of it did not run`,
        "REQUEST_TIMEOUT",
      );
    }
    const started = this.#now();
    try {
      return work();
    } finally {
      const spent = this.#now() - started;
      this.#executionMs += spent;
      this.#sinceYieldMs += spent;
    }
  }

  /** Lets other clients' requests run if this one has run for a slice since its last pause. */
  async pace(): Promise<void> {
    if (this.#sinceYieldMs < this.#limits.sliceMs) return;
    this.#sinceYieldMs = 0;
    await yieldToEventLoop();
  }
}
