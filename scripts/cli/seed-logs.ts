// `seed logs [-f]`: the organism's JSON log lines. Under systemd they are in the journal (the two
// units); with `seed up` in SEED_HOME/logs/seed.log (and seed.log.1 after a rotation).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homePaths } from "./home.ts";
import { readInstallRecord } from "./install/seed-install.ts";
import { which } from "./system-packages.ts";

export type LogsOptions = { home: string; follow: boolean; lines: number; pretty: boolean };

export function prettyLine(line: string): string {
  try {
    const r = JSON.parse(line) as { ts?: string; proc?: string; event?: string; msg?: string } & Record<string, unknown>;
    const { ts, proc, event, msg, ...rest } = r;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    return `${ts ?? ""} ${(proc ?? "").padEnd(7)} ${event ?? ""}${msg ? `: ${msg}` : ""}${msg ? "" : extra}`;
  } catch {
    return line;
  }
}

function emit(text: string, pretty: boolean): void {
  for (const l of text.split("\n")) if (l) process.stdout.write(`${pretty ? prettyLine(l) : l}\n`);
}

export async function seedLogs(o: LogsOptions): Promise<number> {
  const home = homePaths(o.home);
  const record = readInstallRecord(home.dir);
  if (record && existsSync("/run/systemd/system") && which("journalctl")) {
    const args = [...record.units.flatMap((u) => ["-u", u]), "-o", "cat", "-n", String(o.lines), ...(o.follow ? ["-f"] : ["--no-pager"])];
    return run("journalctl", args, o.pretty);
  }
  if (!existsSync(home.logFile)) throw new Error(`no log at ${home.logFile}: the seed has not run from ${home.dir} with \`seed up\` yet`);
  if (o.follow) return run("tail", ["-n", String(o.lines), "-F", home.logFile], o.pretty);
  const older = existsSync(`${home.logFile}.1`) ? readFileSync(`${home.logFile}.1`, "utf8") : "";
  const all = (older + readFileSync(home.logFile, "utf8")).split("\n").filter(Boolean);
  emit(all.slice(-o.lines).join("\n"), o.pretty);
  return 0;
}

function run(cmd: string, args: string[], pretty: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let buf = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      buf += d;
      const i = buf.lastIndexOf("\n");
      if (i < 0) return;
      emit(buf.slice(0, i), pretty);
      buf = buf.slice(i + 1);
    });
    process.once("SIGINT", () => child.kill("SIGTERM"));
    child.once("exit", (code) => resolve(code ?? 0));
  });
}
