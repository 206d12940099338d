// One group commit for the Durable Objects that write on a hot path (the Bus, the AuditLedger).
// Writes that arrive while a commit is being made durable wait and go together into the next
// one, so N concurrent writers share one transaction and one fsync. Each write is settled with
// its own outcome: one failing write does not fail the others; a commit that fails as a whole
// rejects every write of its round, and nobody is left waiting.

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

type Waiting<In, Out> = { input: In; resolve: (value: Out) => void; reject: (error: unknown) => void };

export type GroupCommitOptions = {
  /** Runs after each round, before the next starts (the Bus waits for the fsync here). */
  afterRound?: () => Promise<void>;
};

export class GroupCommit<In, Out> {
  readonly #commit: (batch: In[]) => Outcome<Out>[] | Promise<Outcome<Out>[]>;
  readonly #afterRound: (() => Promise<void>) | undefined;
  #queue: Waiting<In, Out>[] = [];
  #running = false;
  /** Rounds committed since the object started (tests and benchmarks read it). */
  rounds = 0;

  /** `commit` writes a whole round and returns one outcome per input, in order. */
  constructor(commit: (batch: In[]) => Outcome<Out>[] | Promise<Outcome<Out>[]>, opts: GroupCommitOptions = {}) {
    this.#commit = commit;
    this.#afterRound = opts.afterRound;
  }

  /** Writes waiting for the next round. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one write; resolves with its value once its round has committed. */
  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      await Promise.resolve(); // writes submitted in this same turn join the first round
      while (this.#queue.length > 0) {
        const round = this.#queue;
        this.#queue = [];
        let outcomes: Outcome<Out>[];
        try {
          outcomes = await this.#commit(round.map((w) => w.input));
          if (outcomes.length !== round.length) throw new Error(`group commit: ${outcomes.length} outcomes for ${round.length} writes`);
        } catch (err) {
          for (const w of round) w.reject(err);
          continue;
        }
        this.rounds++;
        round.forEach((w, i) => {
          const o = outcomes[i]!;
          if (o.ok) w.resolve(o.value);
          else w.reject(o.error);
        });
        if (this.#afterRound) {
          try {
            await this.#afterRound();
          } catch (err) {
            // Storage could not confirm: what is queued has no commit to join.
            for (const w of this.#queue.splice(0)) w.reject(err);
          }
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
