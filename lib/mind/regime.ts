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
 * With no outcome in the window there is no signal, never "flow". A flagged subsystem outweighs
 * the averages: never `flow` or `coercion` while something is stalled or missed (→ `stall`) or
 * failing (→ `chaos`) — a healthy majority must not hide a dead part.
 */
export function regimeOf(input: { signal: boolean; C: number | null; backlog: number; doneInWindow: number; flagged?: { stalled: number; failing: number; missed: number } }): Regime {
  if (!input.signal || input.C === null) return "no_signal";
  const completing = input.C >= COMPLETION_HIGH;
  const piling = backlogIsHigh(input.backlog, input.doneInWindow);
  const base: Regime = completing ? (piling ? "coercion" : "flow") : piling ? "stall" : "chaos";
  const f = input.flagged;
  if (!f || (base !== "flow" && base !== "coercion")) return base;
  if (f.stalled > 0 || f.missed > 0) return "stall";
  if (f.failing > 0) return "chaos";
  return base;
}
