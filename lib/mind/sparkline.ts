// A one-line picture of a series in 0..1; a gap (no signal) is a dot.

const BARS = "▁▂▃▄▅▆▇█";

export function sparkline(values: (number | null)[]): string {
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return "·";
      const clamped = Math.min(1, Math.max(0, v));
      return BARS[Math.min(BARS.length - 1, Math.floor(clamped * BARS.length))]!;
    })
    .join("");
}
