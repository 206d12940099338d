// "One alarm, at the earliest due row" for every Durable Object. The object's rows (schedule,
// leases, retention, checkpoints) are the truth; the alarm only points at the earliest of them.
//
// The rule that keeps a resting seed at zero wakeups: `next` may only come from rows the alarm
// handler will consume or move past `now`. A row that is still due after its alarm ran (a lease
// nobody will redeliver, a retry that is not retried) re-arms the alarm in the past forever —
// issue 9 item 12 was exactly that (~470 fsyncs/s on an idle seed).

/** The alarm calls of DurableObjectStorage (structural: lib/ is compiled for Node too). */
export type AlarmStorage = {
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
};

export class AlarmPointer {
  readonly #storage: AlarmStorage;
  /** The alarm as last read or set; undefined until read once. */
  #armed: number | null | undefined = undefined;
  #chain: Promise<void> = Promise.resolve();
  /** setAlarm/deleteAlarm calls made (tests count them). */
  changes = 0;

  constructor(storage: AlarmStorage) {
    this.#storage = storage;
  }

  /**
   * Points the alarm at `next` (null: no alarm). Calls apply in order, so the last one wins. An
   * alarm that is already due is left alone when `next` is due too: it will see every due row.
   */
  arm(next: number | null, now: number): Promise<void> {
    const step = this.#chain.then(() => this.#arm(next, now));
    this.#chain = step.catch(() => {});
    return step;
  }

  /** Call first thing in alarm(): the alarm that fired is no longer set. */
  fired(): void {
    this.#armed = null;
  }

  async #arm(next: number | null, now: number): Promise<void> {
    if (this.#armed === undefined) this.#armed = await this.#storage.getAlarm();
    const current = this.#armed;
    if (!alarmNeedsChange(current, next, now)) return;
    if (next === null) await this.#storage.deleteAlarm();
    else await this.#storage.setAlarm(next);
    this.changes++;
    this.#armed = next;
  }
}

/** Whether an alarm set to `current` must be changed to point at `next`. */
export function alarmNeedsChange(current: number | null, next: number | null, now: number): boolean {
  if (current === next) return false;
  if (current !== null && next !== null && current <= now && next <= now) return false;
  return true;
}
