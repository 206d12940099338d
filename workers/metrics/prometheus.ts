// A small writer for the Prometheus text exposition format (version 0.0.4): families with HELP
// and TYPE, label values escaped. Hand-written: the format is a dozen lines and the usual client
// libraries are built for Node's process model, not a Worker isolate.

export type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; suffix?: string };
type Family = { name: string; type: "counter" | "gauge" | "histogram"; help: string; samples: Sample[] };

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function fmt(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
}

export class Exposition {
  #families: Family[] = [];

  family(name: string, type: Family["type"], help: string): (value: number, labels?: Labels, suffix?: string) => void {
    const f: Family = { name, type, help, samples: [] };
    this.#families.push(f);
    return (value, labels = {}, suffix) => f.samples.push({ labels, value, suffix });
  }

  text(): string {
    const out: string[] = [];
    for (const f of this.#families) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${esc(v)}"`).join(",");
        out.push(`${f.name}${s.suffix ?? ""}${labels ? `{${labels}}` : ""} ${fmt(s.value)}`);
      }
    }
    return `${out.join("\n")}\n`;
  }
}
