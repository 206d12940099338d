// Cron expressions (standard 5 fields: minute hour day-of-month month day-of-week, names like FRI
// and JAN allowed, an IANA time zone, default UTC). Parsing and "next run after" come from croner
// (a well-kept, dependency-free parser that runs in workerd); this file only fixes its options
// and turns its errors into one message.
import { Cron } from "croner";

export type CronSpec = { cron: string; tz: string };

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

const cache = new Map<string, Cron>();

function compile(spec: CronSpec): Cron {
  const k = `${spec.tz}\u0000${spec.cron}`;
  let c = cache.get(k);
  if (!c) {
    try {
      // domAndDow false: "0 9 1 * FRI" means the 1st OR a Friday, as in every crontab.
      c = new Cron(spec.cron, { paused: true, timezone: spec.tz, mode: "5-part", domAndDow: false });
      c.nextRun(new Date(0)); // a bad time zone only shows when a date is computed
    } catch (err) {
      throw new CronError(`${spec.cron} (${spec.tz}): ${err instanceof Error ? err.message.replace(/^\w+: /, "").split(". Original error")[0] : String(err)}`);
    }
    if (cache.size > 1000) cache.clear();
    cache.set(k, c);
  }
  return c;
}

/** Throws CronError when the expression or the time zone is not valid. */
export function checkCron(spec: CronSpec): void {
  compile(spec);
}

/** The first run strictly after `after` (ms), or null when the expression never runs again. */
export function nextRun(spec: CronSpec, after: number): number | null {
  return compile(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/** Runs in (after, until], at most `limit` of them counted: how many a downtime skipped. */
export function runsBetween(spec: CronSpec, after: number, until: number, limit = 10_000): { count: number; last: number | null } {
  let count = 0;
  let last: number | null = null;
  let t = nextRun(spec, after);
  while (t !== null && t <= until && count < limit) {
    count++;
    last = t;
    t = nextRun(spec, t);
  }
  return { count, last };
}
