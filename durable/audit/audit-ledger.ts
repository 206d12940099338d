import { DurableObject } from "cloudflare:workers";
import { chainEntries, type AuditEntry, type ChainHead } from "../../lib/audit/audit-chain.ts";
import { insertRecords, lastCheckpoint, readHead } from "../../lib/audit/audit-store.ts";
import { signCheckpoint, type Checkpoint, type CheckpointReason } from "../../lib/audit/checkpoint.ts";
import { importSigningKey, type Ed25519Key } from "../../lib/audit/ed25519.ts";
import { identity } from "../../lib/db/schema.ts";
import { AlarmPointer } from "../../lib/do-alarm.ts";
import { GroupCommit, type Outcome } from "../../lib/group-commit.ts";
import { openDb, type Db } from "../../lib/db/client.ts";
import { AuthFailureWindows, type AuthFailure } from "./auth-failures.ts";

export type AppendResult = { first: number; last: number; head: ChainHead; checkpoint: Checkpoint | null };

type Append = { entries: AuditEntry[]; checkpoint?: CheckpointReason };

/** `checkpointDue`: when the periodic checkpoint of rows not yet signed is due (the alarm's row). */
type LedgerState = { head: ChainHead; seedId: string; checkpointedSeq: number; checkpointDue: number | null };

/** A checkpoint is signed at least this often while rows keep arriving … */
export const CHECKPOINT_EVERY_MS = 10 * 60_000;
/** … and inline whenever this many rows have accumulated since the last one. */
export const CHECKPOINT_EVERY_ROWS = 1000;
const MAX_ATTEMPTS = 5;

/**
 * The one writer of the audit ledger (libSQL tables audit_log and audit_checkpoints). Every
 * row depends on the hash of the row before it, so appends must be serialised; a Worker cannot
 * do that across requests (workerd cancels a request that waits on another request's promise),
 * a Durable Object can. Appends that arrive while a write is in flight are committed together in
 * the next transaction (lib/group-commit.ts), so concurrent helper requests share one fsync.
 */
export class AuditLedger extends DurableObject<Env> {
  readonly #commits = new GroupCommit<Append, AppendResult>((batch) => this.#flush(batch));
  readonly #alarm = new AlarmPointer(this.ctx.storage);
  readonly #failures = new AuthFailureWindows(this.ctx.storage);
  #state: LedgerState | null = null;
  #db: Db | null = null;
  #signingKey: Promise<Ed25519Key | null> | null = null;

  /** Appends entries in order; resolves once they are committed. */
  append(entries: AuditEntry[], opts: { checkpoint?: CheckpointReason } = {}): Promise<AppendResult> {
    return this.#commits.submit({ entries, checkpoint: opts.checkpoint });
  }

  /**
   * Counts a failed authentication into its address's window (durable/audit/auth-failures.ts):
   * no row per attempt; the alarm writes one summary row per address when the window closes.
   */
  async noteAuthFailure(f: AuthFailure): Promise<void> {
    this.#state ??= await this.#load(); // the checkpoint's due time shares the one alarm
    await this.#failures.note(f);
    await this.#rearm(Date.now());
  }

  /** Whether this seed can sign checkpoints (SEED_IDENTITY_KEY reached workerd). */
  async canSign(): Promise<boolean> {
    return (await this.#key()) !== null;
  }

  async head(): Promise<ChainHead> {
    return (this.#state ??= await this.#load()).head;
  }

  /**
   * Writes the summaries of the open failure windows, then the periodic checkpoint: signs the
   * head if rows were added since the last one.
   */
  async alarm(): Promise<void> {
    this.#alarm.fired();
    const state = (this.#state ??= await this.#load());
    state.checkpointDue = null; // this alarm takes the row it pointed at
    const failures = await this.#failures.close();
    if (failures.entries.length === 0 && state.head.seq <= state.checkpointedSeq) return this.#rearm(Date.now());
    try {
      await this.append(failures.entries, { checkpoint: "periodic" });
    } catch (err) {
      failures.undo();
      await this.#rearm(Date.now());
      throw err; // the runtime retries the alarm
    }
    await failures.done();
  }

  /** One alarm for the earliest of: the periodic checkpoint, the first failure window to close. */
  #rearm(now: number): Promise<void> {
    const due = [this.#state?.checkpointDue ?? null, this.#failures.due()].filter((t): t is number => t !== null);
    return this.#alarm.arm(due.length ? Math.min(...due) : null, now).catch(() => console.error("could not arm the audit ledger's alarm"));
  }

  #key(): Promise<Ed25519Key | null> {
    const secret = this.env.SEED_IDENTITY_KEY;
    this.#signingKey ??= secret ? importSigningKey(secret) : Promise.resolve(null);
    return this.#signingKey;
  }

  async #load(): Promise<LedgerState> {
    const db = (this.#db ??= openDb(this.env));
    const [head, cp, id] = await Promise.all([readHead(db), lastCheckpoint(db), db.select({ seedId: identity.seedId }).from(identity).get()]);
    if (!id) throw new Error("no identity row: run `seed init`");
    return { head, seedId: id.seedId, checkpointedSeq: cp?.seq ?? 0, checkpointDue: await this.ctx.storage.getAlarm() };
  }

  /** One group-commit round; a round that fails after its retries rejects every append in it. */
  async #flush(batch: Append[]): Promise<Outcome<AppendResult>[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#commit(batch);
      } catch (err) {
        // The database is the truth: reload the head next time instead of trusting memory.
        this.#state = null;
        // Another writer took the next seq (a second ledger object on the same database, as
        // parallel test runtimes have): re-chain after its rows. Anything else fails the batch.
        if (attempt < MAX_ATTEMPTS && /UNIQUE|constraint/i.test(String((err as Error)?.message ?? err))) continue;
        throw err;
      }
    }
  }

  async #commit(batch: Append[]): Promise<Outcome<AppendResult>[]> {
    const state = (this.#state ??= await this.#load());
    const records = await chainEntries(state.head, batch.flatMap((w) => w.entries));
    const head = records.length ? { seq: records.at(-1)!.seq, hash: records.at(-1)!.hash } : state.head;
    const wanted = batch.find((w) => w.checkpoint)?.checkpoint ?? (head.seq - state.checkpointedSeq >= CHECKPOINT_EVERY_ROWS ? "rows" : undefined);
    const key = wanted && head.seq > state.checkpointedSeq ? await this.#key() : null;
    const checkpoint = key ? await signCheckpoint(key, state.seedId, head, Date.now(), wanted!) : null;
    await insertRecords(this.#db!, records, checkpoint ?? undefined);
    state.head = head;
    if (checkpoint) state.checkpointedSeq = checkpoint.seq;
    // The periodic checkpoint is due CHECKPOINT_EVERY_MS after the first row it will cover; a
    // seed that cannot sign has nothing for the alarm to do.
    const now = Date.now();
    if (head.seq <= state.checkpointedSeq || (await this.#key()) === null) state.checkpointDue = null;
    else state.checkpointDue ??= now + CHECKPOINT_EVERY_MS;
    await this.#rearm(now);
    let next = records[0]?.seq ?? head.seq + 1;
    return batch.map((w) => {
      const first = next;
      next += w.entries.length;
      return { ok: true as const, value: { first, last: first + w.entries.length - 1, head, checkpoint } };
    });
  }
}
