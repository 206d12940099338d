import { DurableObject } from "cloudflare:workers";
import { chainEntries, type AuditEntry, type AuditRecord, type ChainHead } from "../../lib/audit/audit-chain.ts";
import { insertRecords, lastCheckpoint, readHead } from "../../lib/audit/audit-store.ts";
import { signCheckpoint, type Checkpoint, type CheckpointReason } from "../../lib/audit/checkpoint.ts";
import { importSigningKey, type Ed25519Key } from "../../lib/audit/ed25519.ts";
import { identity } from "../../lib/db/schema.ts";
import { AlarmPointer } from "../../lib/do-alarm.ts";
import { migrate } from "../../lib/do-migrations.ts";
import { GroupCommit, type Outcome } from "../../lib/group-commit.ts";
import { openDb, type Db } from "../../lib/db/client.ts";
import { AuthFailureWindows, type AuthFailure } from "./auth-failures.ts";
import { LEDGER_MIGRATIONS, PendingRows } from "../../lib/audit/pending-rows.ts";

export type AppendResult = { first: number; last: number; head: ChainHead; checkpoint: Checkpoint | null };

/**
 * `head`: the newest row committed (here or in libSQL); `copied`: the newest row libSQL holds.
 * `checkpointDue`: when the periodic checkpoint of rows not yet signed is due (the alarm's row).
 */
type LedgerState = { head: ChainHead; copied: ChainHead; seedId: string; checkpointedSeq: number; checkpointDue: number | null };

/** A checkpoint is signed at least this often while rows keep arriving … */
export const CHECKPOINT_EVERY_MS = 10 * 60_000;
/** … and whenever this many rows have been copied since the last one. */
export const CHECKPOINT_EVERY_ROWS = 1000;
/** Rows copied to libSQL in one transaction at most. */
const COPY_BATCH = 1000;
/**
 * How long committed rows wait before they are copied to libSQL, so that one copy carries many
 * (a copy per commit round cost more CPU than the libSQL commit it replaced). Readers do not
 * wait for it: they flush.
 */
export const COPY_DELAY_MS = 500;
const MAX_ATTEMPTS = 5;

/**
 * The one writer of the audit ledger. Every row depends on the hash of the row before it, so
 * appends must be serialised; a Worker cannot do that across requests (workerd cancels a request
 * that waits on another request's promise), a Durable Object can.
 *
 * An append is committed in this object's own SQLite (durable/audit/pending-rows.ts), hash-chained
 * in its final form, and answered once that storage is synced; appends that arrive meanwhile share
 * the next commit (lib/group-commit.ts). The rows are then copied to libSQL (audit_log), many per
 * transaction, off the request's path; a row is dropped here only once libSQL has it, and a copy
 * that finds its rows already there (a crash between the two) skips them. Readers call `flush()`
 * first (the Worker's routes) or read both stores (the CLI, scripts/cli/audit-verify.ts), so every
 * committed row is seen. Checkpoints are signed over rows libSQL holds.
 */
export class AuditLedger extends DurableObject<Env> {
  readonly #commits = new GroupCommit<AuditEntry[], AppendResult>((batch) => this.#commit(batch));
  readonly #alarm = new AlarmPointer(this.ctx.storage);
  readonly #failures = new AuthFailureWindows(this.ctx.storage);
  readonly #pending: PendingRows;
  #state: Promise<LedgerState> | null = null;
  /** The same, once loaded (the alarm pointer reads it synchronously). */
  #loadedState: LedgerState | null = null;
  #db: Db | null = null;
  #signingKey: Promise<Ed25519Key | null> | null = null;
  /** The running copy loop, if any; it runs until nothing is pending. */
  #copying: Promise<void> | null = null;
  /** The timer of the next copy, if one is scheduled. */
  #copyTimer: ReturnType<typeof setTimeout> | null = null;
  /** The newest seq the running copy will bring to libSQL. */
  #copyingUpTo = 0;
  /** Commits and re-chaining take turns (both move the head). */
  #chainTurn: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, LEDGER_MIGRATIONS);
    this.#pending = new PendingRows(ctx.storage.sql);
  }

  /** Appends entries in order; resolves once they are durable (a checkpoint: once in libSQL and signed). */
  async append(entries: AuditEntry[], opts: { checkpoint?: CheckpointReason } = {}): Promise<AppendResult> {
    const result = await this.#commits.submit(entries);
    if (!opts.checkpoint) return result;
    await this.flush();
    return { ...result, checkpoint: await this.#checkpoint(opts.checkpoint) };
  }

  /** Resolves once every row committed before the call is in libSQL (readers call it first). */
  flush(): Promise<void> {
    if (this.#copyTimer !== null) clearTimeout(this.#copyTimer);
    this.#copyTimer = null;
    const upTo = this.#loadedState?.head.seq ?? Infinity;
    if (this.#copying && this.#copyingUpTo >= upTo) return this.#copying;
    const run = (this.#copying ?? Promise.resolve()).catch(() => {}).then(() => this.#copyLoop(upTo));
    this.#copying = run;
    this.#copyingUpTo = upTo;
    const done = () => {
      if (this.#copying !== run) return;
      this.#copying = null;
      if (this.#pending.last()) this.#copySoon(); // committed while this copy ran
    };
    run.then(done, done);
    return run;
  }

  /** A copy in COPY_DELAY_MS, unless one is already on its way. */
  #copySoon(): void {
    if (this.#copyTimer !== null || this.#copying) return;
    this.#copyTimer = setTimeout(() => {
      this.#copyTimer = null;
      this.flush().catch(() => console.error("audit ledger: could not copy rows to libSQL; they stay pending"));
    }, COPY_DELAY_MS);
  }

  /**
   * Counts a failed authentication into its address's window (durable/audit/auth-failures.ts):
   * no row per attempt; the alarm writes one summary row per address when the window closes.
   */
  async noteAuthFailure(f: AuthFailure): Promise<void> {
    await this.#loaded(); // the checkpoint's due time shares the one alarm
    await this.#failures.note(f);
    await this.#rearm(Date.now());
  }

  /** Whether this seed can sign checkpoints (SEED_IDENTITY_KEY reached workerd). */
  async canSign(): Promise<boolean> {
    return (await this.#key()) !== null;
  }

  async head(): Promise<ChainHead> {
    return (await this.#loaded()).head;
  }

  /**
   * Copies what a crash left uncopied, writes the summaries of the open failure windows, then the
   * periodic checkpoint: signs the head if rows were added since the last one.
   */
  async alarm(): Promise<void> {
    this.#alarm.fired();
    const state = await this.#loaded();
    state.checkpointDue = null; // this alarm takes the row it pointed at
    await this.flush();
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
    const due = [this.#loadedState?.checkpointDue ?? null, this.#failures.due()].filter((t): t is number => t !== null);
    return this.#alarm.arm(due.length ? Math.min(...due) : null, now).catch(() => console.error("could not arm the audit ledger's alarm"));
  }

  #key(): Promise<Ed25519Key | null> {
    const secret = this.env.SEED_IDENTITY_KEY;
    this.#signingKey ??= secret ? importSigningKey(secret) : Promise.resolve(null);
    return this.#signingKey;
  }

  #loaded(): Promise<LedgerState> {
    this.#state ??= this.#load().then(
      (s) => {
        this.#loadedState = s;
        if (this.#pending.last()) void this.flush().catch(() => console.error("audit ledger: could not copy rows to libSQL; they stay pending"));
        return s;
      },
      (err) => {
        this.#state = null;
        throw err;
      },
    );
    return this.#state;
  }

  async #load(): Promise<LedgerState> {
    const db = (this.#db ??= openDb(this.env));
    const [copied, cp, id] = await Promise.all([readHead(db), lastCheckpoint(db), db.select({ seedId: identity.seedId }).from(identity).get()]);
    if (!id) throw new Error("no identity row: run `seed init`");
    const last = this.#pending.last();
    const head = last ? { seq: last.seq, hash: last.hash } : copied;
    return { head, copied, seedId: id.seedId, checkpointedSeq: cp?.seq ?? 0, checkpointDue: await this.ctx.storage.getAlarm() };
  }

  #inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chainTurn.then(fn);
    this.#chainTurn = run.catch(() => {});
    return run;
  }

  /** One group-commit round: chain the entries after the head, store them here, wait for the sync. */
  #commit(batch: AuditEntry[][]): Promise<Outcome<AppendResult>[]> {
    return this.#inTurn(async () => {
      const state = await this.#loaded();
      const records = await chainEntries(state.head, batch.flat());
      this.#pending.add(records);
      const head = records.length ? { seq: records.at(-1)!.seq, hash: records.at(-1)!.hash } : state.head;
      state.head = head;
      await this.ctx.storage.sync();
      this.#copySoon();
      let next = records[0]?.seq ?? head.seq + 1;
      return batch.map((entries) => {
        const first = next;
        next += entries.length;
        return { ok: true as const, value: { first, last: first + entries.length - 1, head, checkpoint: null } };
      });
    });
  }

  /**
   * Copies the pending rows up to seq `upTo` to libSQL, a batch per transaction (rows committed
   * meanwhile wait for the next copy, so that a copy under load is not one per commit).
   */
  async #copyLoop(upTo: number): Promise<void> {
    const state = await this.#loaded();
    for (let attempt = 1; ; ) {
      const rows = this.#pending.read(COPY_BATCH).filter((r) => r.seq <= upTo);
      if (rows.length === 0) return;
      try {
        await this.#copy(state, rows);
        attempt = 1;
      } catch (err) {
        if (attempt++ >= MAX_ATTEMPTS || !/UNIQUE|constraint/i.test(String((err as Error)?.message ?? err))) throw err;
        if (await this.#reconcile(state, rows)) upTo = Infinity; // renumbered: copy them all
      }
    }
  }

  async #copy(state: LedgerState, rows: AuditRecord[]): Promise<void> {
    const last = rows.at(-1)!;
    const head = { seq: last.seq, hash: last.hash };
    const checkpoint = head.seq - state.checkpointedSeq >= CHECKPOINT_EVERY_ROWS ? await this.#sign(state, head, "rows") : null;
    await insertRecords(this.#db!, rows, checkpoint ?? undefined);
    this.#pending.dropThrough(last.seq);
    this.#copied(state, head, checkpoint);
  }

  #copied(state: LedgerState, head: ChainHead, checkpoint: Checkpoint | null): void {
    if (head.seq > state.copied.seq) state.copied = head;
    if (checkpoint) state.checkpointedSeq = Math.max(state.checkpointedSeq, checkpoint.seq);
    // The periodic checkpoint is due CHECKPOINT_EVERY_MS after the first row it will cover; a
    // seed that cannot sign has nothing for the alarm to do.
    const now = Date.now();
    if (state.copied.seq <= state.checkpointedSeq || !this.env.SEED_IDENTITY_KEY) state.checkpointDue = null;
    else state.checkpointDue ??= now + CHECKPOINT_EVERY_MS;
    void this.#rearm(now);
  }

  /**
   * A copy met rows libSQL already has. Those it wrote itself before a crash (same seq, same hash)
   * are dropped here; if another writer took the next seq (the CLI, scripts/cli/cli-audit.ts, or a
   * second ledger on the same database, as parallel test runtimes have), every pending row is
   * chained again after libSQL's head — same content, new seq and hashes.
   */
  async #reconcile(state: LedgerState, rows: AuditRecord[]): Promise<boolean> {
    const have = await this.#db!.$client.execute({ sql: "SELECT seq, hash FROM audit_log WHERE seq >= ? AND seq <= ?", args: [rows[0]!.seq, rows.at(-1)!.seq] });
    const stored = new Map(have.rows.map((r) => [Number(r.seq), String(r.hash)]));
    let done = 0;
    while (done < rows.length && stored.get(rows[done]!.seq) === rows[done]!.hash) done++;
    if (done > 0) {
      this.#pending.dropThrough(rows[done - 1]!.seq);
      this.#copied(state, { seq: rows[done - 1]!.seq, hash: rows[done - 1]!.hash }, null);
    }
    if (done === rows.length || !stored.has(rows[done]!.seq)) return false;
    await this.#inTurn(async () => {
      const base = await readHead(this.#db!);
      const again = await chainEntries(base, this.#pending.read(Number.MAX_SAFE_INTEGER).map(({ seq: _s, prevHash: _p, hash: _h, ...e }) => e as AuditEntry));
      this.#pending.replaceAll(again);
      state.head = again.length ? { seq: again.at(-1)!.seq, hash: again.at(-1)!.hash } : base;
      state.copied = base;
      await this.ctx.storage.sync();
    });
    return true;
  }

  /** Signs a checkpoint over the newest row libSQL holds (after a flush: every committed row). */
  async #checkpoint(reason: CheckpointReason): Promise<Checkpoint | null> {
    const state = await this.#loaded();
    const checkpoint = await this.#sign(state, state.copied, reason);
    if (!checkpoint) return null;
    await insertRecords(this.#db!, [], checkpoint);
    this.#copied(state, state.copied, checkpoint);
    return checkpoint;
  }

  async #sign(state: LedgerState, head: ChainHead, reason: CheckpointReason): Promise<Checkpoint | null> {
    if (head.seq <= state.checkpointedSeq) return null;
    const key = await this.#key();
    return key ? signCheckpoint(key, state.seedId, head, Date.now(), reason) : null;
  }
}
