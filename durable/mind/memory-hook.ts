// The one place a cycle's decisions and outcomes become an episodic memory (issue 6: "the mind
// records each cycle's decisions and outcomes as episodic memory"). They expire (30 days by
// default, `memoryDays` in the mind's settings) and are tagged `cycle`, so recall leaves them out
// unless asked for them (issue 10).
import { remember } from "../../lib/memory/remember.ts";
import { openDb } from "../../lib/db/client.ts";

export const DEFAULT_MEMORY_DAYS = 30;
const DAY_MS = 86_400_000;

export type CycleSummary = {
  cycle: number;
  startedAt: number;
  endedAt: number;
  did: Record<string, number>;
  /** Subsystems flagged after the cycle, e.g. `capability:payroll (stalled)`. */
  flagged: string[];
  regime: string;
  days?: number | undefined;
};

/** Counters that say the cycle looked, not that it did anything: they alone are not worth a memory. */
const LOOKING = new Set(["evaluated", "alerts", "alertErrors"]);

/** Only cycles that acted or saw a flag appear or clear are worth remembering. */
export function worthRemembering(s: CycleSummary): boolean {
  return Object.entries(s.did).some(([k, n]) => n > 0 && !LOOKING.has(k));
}

export function describeCycle(s: CycleSummary): string {
  const did = Object.entries(s.did)
    .filter(([k, n]) => n > 0 && !LOOKING.has(k))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const flagged = s.flagged.length ? ` Flagged: ${s.flagged.join(", ")}.` : "";
  return `Mind cycle ${s.cycle} (${new Date(s.startedAt).toISOString()}): ${did || "nothing to do"}. Regime ${s.regime}.${flagged}`;
}

/**
 * Memory is an organ of its own: if it cannot take the memory (libSQL down, embedder failing),
 * the cycle's work still stands, so this never throws.
 */
export async function recordCycleMemory(env: Env, summary: CycleSummary): Promise<void> {
  if (!worthRemembering(summary)) return;
  try {
    await remember(
      openDb(env),
      {
        kind: "episodic",
        text: describeCycle(summary),
        tags: ["mind", "cycle", `regime:${summary.regime}`],
        source: "mind",
        expiresAt: summary.endedAt + (summary.days ?? DEFAULT_MEMORY_DAYS) * DAY_MS,
      },
      { env, now: summary.endedAt },
    );
  } catch (err) {
    console.error(`mind: cycle ${summary.cycle} not recorded in memory (${err instanceof Error ? err.name : "error"})`);
  }
}
