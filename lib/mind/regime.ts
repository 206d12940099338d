// The organism's regime, from two bits: is it completing what it finishes (smoothed completion
// ratio high or low) and is work piling up (backlog high or low).
import type { Regime } from "./wire.ts";

export const COMPLETION_HIGH = 0.8;
/** A backlog is high when more is waiting than this, and more than was completed in the window. */
export const BACKLOG_FLOOR = 10;

export function backlogIsHigh(backlog: number, doneInWindow: number): boolean {
  return backlog > Math.max(BACKLOG_FLOOR, doneInWindow);
}

/**
 * flow: completing, little waiting. coercion: completing but work piles up (pushed harder than it
 * can go). chaos: little waiting but much of it fails. stall: failing or idle with work waiting.
 * With no outcome in the window there is no signal, never "flow".
 */
export function regimeOf(input: { signal: boolean; C: number | null; backlog: number; doneInWindow: number }): Regime {
  if (!input.signal || input.C === null) return "no_signal";
  const completing = input.C >= COMPLETION_HIGH;
  const piling = backlogIsHigh(input.backlog, input.doneInWindow);
  if (completing) return piling ? "coercion" : "flow";
  return piling ? "stall" : "chaos";
}
