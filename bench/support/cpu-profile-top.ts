// The functions that used the most CPU in a V8 profile written by `node --cpu-prof`: self time
// per function (not counting its callees), largest first. Usable on its own:
//   node bench/support/cpu-profile-top.ts FILE.cpuprofile [N]
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** `function (file:line)`; V8's own pseudo-frames keep their names: (garbage collector), (program). */
  frame: string;
  selfMs: number;
  selfPercent: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === "" ? "(anonymous)" : functionName;
  if (url === "") return name;
  const file = url.includes("node_modules/") ? url.slice(url.lastIndexOf("node_modules/") + 13) : path.basename(url);
  return `${name} (${file}:${lineNumber + 1})`;
}

export function topOfProfile(file: string, count = 15): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const frame = frameName(node);
    selfUs.set(frame, (selfUs.get(frame) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, us]) => ({
      frame,
      selfMs: Math.round(us / 100) / 10,
      selfPercent: totalUs === 0 ? 0 : Math.round((us / totalUs) * 1000) / 10,
    }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: cpu-profile-top.ts FILE.cpuprofile [N]\n");
    process.exit(2);
  }
  for (const entry of topOfProfile(file, Number(process.argv[3] ?? 15))) {
    process.stdout.write(`${entry.selfPercent.toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(1).padStart(8)} ms  ${entry.frame}\n`);
  }
}
