// Durations as people type them: `90s`, `15m`, `24h`, `7d`, `500ms`, or a plain number of ms.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]!);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 86_400_000) return `${+(ms / 86_400_000).toFixed(1)}d`;
  if (abs >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)}h`;
  if (abs >= 60_000) return `${+(ms / 60_000).toFixed(1)}m`;
  if (abs >= 1000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms)}ms`;
}
