// `seed test`: every test — typecheck, the Node-side suites (units, the libSQL server, system
// tests with real processes) and the Worker suites under @cloudflare/vitest-plugin.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, wranglerEnv } from "../workerd-config/build-worker.ts";
import { ensureSystemPackages } from "./system-packages.ts";
import { add, EMPTY_TALLY, filterMatches, summaryLine, tally, testFiles, type Tally, type VitestReport } from "./test-summary.ts";

export type Suite = {
  name: string;
  args: string[];
  /** folders its config includes, for matching filters */
  dirs: string[];
  /** runs beside the others instead of before them (its output is printed when it ends) */
  alongside?: boolean;
};

// System tests each run a whole seed (and build it): one file at a time, so a 2-core CI machine
// is not asked to run six organisms at once. The rest tests (test/rest) start a seed and then
// mostly wait — minutes of a resting organism, measured on its own processes only — so they run
// beside the other suites instead of adding their waits to the total.
export const SUITES: Suite[] = [
  { name: "system at rest", args: ["--config", "vitest.config.ts", "--project", "rest"], dirs: ["test/rest"], alongside: true },
  { name: "unit and libSQL server", args: ["--config", "vitest.config.ts", "--project", "fast"], dirs: ["test/unit", "test/db-server"] },
  { name: "system", args: ["--config", "vitest.config.ts", "--project", "system", "--no-file-parallelism"], dirs: ["test/system"] },
  { name: "workers", args: ["--config", "vitest.workers.config.ts"], dirs: ["test/workers"] },
];

export type SeedTestOptions = {
  suites?: Suite[];
  root?: string;
  /** Typecheck and system packages before a full run (off for the summary's own tests). */
  full?: boolean;
  /** Where vitest's own output goes ("pipe": nowhere — the summary's tests read only the summary). */
  stdio?: "inherit" | "pipe";
  log?: (line: string) => void;
};

function bin(root: string, pkgPath: string): string {
  return path.join(root, "node_modules", pkgPath);
}

export async function seedTest(filters: string[], opts: SeedTestOptions = {}): Promise<number> {
  const root = opts.root ?? ROOT;
  const suites = opts.suites ?? SUITES;
  const log = opts.log ?? ((line: string) => console.log(line));
  const full = opts.full ?? true;
  const env = { ...wranglerEnv(), FORCE_COLOR: process.env.FORCE_COLOR ?? "0" };
  const node = [process.execPath, ...process.execArgv];
  const fail = (why: string, t: Tally = EMPTY_TALLY): number => {
    log(`seed test: ${why}`);
    log(summaryLine({ ...t, failed: t.failed + 1 }));
    return 1;
  };

  // A filter that matches no test file is a mistake (a typo, a renamed file), never a green run;
  // a suite none of whose files match is not started at all.
  const plan = suites.map((suite) => ({ suite, files: testFiles(root, suite.dirs).filter((f) => filters.length === 0 || filters.some((x) => filterMatches(x, f, root))) }));
  const unmatched = filters.filter((x) => !plan.some((p) => p.files.some((f) => filterMatches(x, f, root))));
  if (unmatched.length > 0) return fail(`no test file matches ${unmatched.map((x) => JSON.stringify(x)).join(", ")} (files under ${suites.flatMap((s) => s.dirs).join(", ")})`);

  if (full) {
    // Debian packages some tests run (systemd-analyze, caddy): installed when missing and root. A
    // full run without them fails here, at once; a filtered run goes on and the tests that need
    // them fail with the same message.
    const { missing } = ensureSystemPackages("test");
    if (missing.length > 0 && filters.length === 0) return fail(`missing Debian packages: ${missing.map((p) => p.name).join(", ")}`);
    if (filters.length === 0) {
      log("== typecheck");
      // First the Worker app's declarations (.types/), which the CLI's typed client reads (tsconfig.app-types.json).
      for (const [project, emit] of [["tsconfig.app-types.json", true], ["tsconfig.json", false], ["tsconfig.workers.json", false]] as const) {
        const tc = spawnSync(node[0]!, [...node.slice(1), bin(root, "typescript/bin/tsc"), ...(emit ? [] : ["--noEmit"]), "-p", project], { cwd: root, env, stdio: "inherit" });
        if (tc.status !== 0) return fail(`typecheck of ${project} failed`);
      }
    }
  }

  const out = mkdtempSync(path.join(os.tmpdir(), "seed-test-"));
  // The tests' temp files (seed homes, servers' files, browser profiles) go under this run's own
  // folder and leave with it, even those of a test that forgot to clean up or was killed.
  // Like /tmp itself: tests run some commands as another user (seed install's dedicated user).
  const tmp = path.join(out, "tmp");
  mkdirSync(tmp);
  chmodSync(out, 0o711);
  chmodSync(tmp, 0o1777);
  // Artifacts a run keeps (the console's screenshots) go beside it, outside what is removed.
  const artifacts = path.join(os.tmpdir(), `seed-test-artifacts-${path.basename(out).slice("seed-test-".length)}`);
  const suiteEnv = { ...env, TMPDIR: tmp, SEED_TEST_ARTIFACTS: artifacts };
  let total: Tally = EMPTY_TALLY;
  const vitest = (suite: Suite) => {
    const report = path.join(out, `${suite.name.replace(/\W+/g, "-")}.json`);
    const args = [...node.slice(1), bin(root, "vitest/vitest.mjs"), "run", ...suite.args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...filters];
    const result = (status: number | null): Tally => {
      let json: VitestReport | null = null;
      try {
        json = JSON.parse(readFileSync(report, "utf8")) as VitestReport;
      } catch {
        // no report: the suite crashed before writing it (counted by tally)
      }
      return tally(json, status, root, suite.name);
    };
    return { args, result };
  };
  try {
    // Suites that run alongside start first; their output is kept and printed when they end.
    const beside = plan
      .filter(({ suite, files }) => suite.alongside && files.length > 0)
      .map(({ suite }) => {
        log(`== ${suite.name} (alongside the others)`);
        const { args, result } = vitest(suite);
        const child = spawn(node[0]!, args, { cwd: root, env: suiteEnv, stdio: ["ignore", "pipe", "pipe"] });
        const output: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => output.push(b));
        child.stderr.on("data", (b: Buffer) => output.push(b));
        return new Promise<Tally>((resolve) => {
          child.on("close", (status) => {
            log(`== ${suite.name} (ended)\n${Buffer.concat(output).toString("utf8").trimEnd()}`);
            resolve(result(status));
          });
        });
      });
    for (const { suite, files } of plan) {
      if (files.length === 0 || suite.alongside) continue;
      log(`== ${suite.name}`);
      const { args, result } = vitest(suite);
      // Asynchronous, so the output of a suite alongside is read meanwhile.
      const status = await new Promise<number | null>((resolve) => {
        spawn(node[0]!, args, { cwd: root, env: suiteEnv, stdio: opts.stdio === "pipe" ? "ignore" : "inherit" }).on("close", resolve);
      });
      total = add(total, result(status));
    }
    for (const t of await Promise.all(beside)) total = add(total, t);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  if (total.problems.length > 0) log(`failed outside tests:\n${total.problems.map((p) => `  ${p}`).join("\n")}`);
  if (total.passed + total.failed === 0) return fail(filters.length ? "the matching files ran no test" : "no test ran", total);
  log(summaryLine(total));
  return total.failed > 0 ? 1 : 0;
}
