// The one place a cycle's decisions and outcomes become an episodic memory (issue 6: "the mind
// records each cycle's decisions and outcomes as episodic memory").
import { remember } from "../../lib/memory/remember.ts";
import type { Bindings } from "../../workers/app-env.ts";
import { openDb } from "../../workers/db.ts";

export type CycleSummary = {
  cycle: number;
  startedAt: number;
  endedAt: number;
  did: Record<string, number>;
  stalled: string[];
  regime: string;
};

/** Only cycles that did something or saw a stall are worth remembering; idle ones are not. */
export function worthRemembering(s: CycleSummary): boolean {
  return s.stalled.length > 0 || Object.values(s.did).some((n) => n > 0);
}

export function describeCycle(s: CycleSummary): string {
  const did = Object.entries(s.did)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const stalled = s.stalled.length ? ` Stalled: ${s.stalled.join(", ")}.` : "";
  return `Mind cycle ${s.cycle} (${new Date(s.startedAt).toISOString()}): ${did || "nothing to do"}. Regime ${s.regime}.${stalled}`;
}

/**
 * Memory is an organ of its own: if it cannot take the memory (libSQL down, embedder failing),
 * the cycle's work still stands, so this never throws.
 */
export async function recordCycleMemory(env: Bindings, summary: CycleSummary): Promise<void> {
  if (!worthRemembering(summary)) return;
  try {
    await remember(
      openDb(env),
      { kind: "episodic", text: describeCycle(summary), tags: ["mind", "cycle", `regime:${summary.regime}`], source: "mind" },
      { env, now: summary.endedAt },
    );
  } catch (err) {
    console.error(`mind: cycle ${summary.cycle} not recorded in memory (${err instanceof Error ? err.name : "error"})`);
  }
}
