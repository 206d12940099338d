// `seed test`: every test — typecheck, the Node-side suites (units, the libSQL server, system
// tests with real processes) and the Worker suites under @cloudflare/vitest-plugin.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, wranglerEnv } from "../workerd-config/build-worker.ts";
import { ensureSystemPackages } from "./system-packages.ts";

type Suite = { name: string; args: string[] };

// System tests each run a whole seed (and build it): one file at a time, so a 2-core CI machine
// is not asked to run six organisms at once.
const SUITES: Suite[] = [
  { name: "unit and libSQL server", args: ["--config", "vitest.config.ts", "--project", "fast"] },
  { name: "system", args: ["--config", "vitest.config.ts", "--project", "system", "--no-file-parallelism"] },
  { name: "workers", args: ["--config", "vitest.workers.config.ts"] },
];

function bin(pkgPath: string): string {
  return path.join(ROOT, "node_modules", pkgPath);
}

export function seedTest(filters: string[]): number {
  const env = { ...wranglerEnv(), FORCE_COLOR: process.env.FORCE_COLOR ?? "0" };
  const node = [process.execPath, ...process.execArgv];
  // Debian packages some tests run (systemd-analyze, caddy): installed when missing and root. A
  // full run without them fails here, at once; a filtered run goes on and the tests that need
  // them fail with the same message.
  const { missing } = ensureSystemPackages("test");
  if (missing.length > 0 && filters.length === 0) {
    console.log("0 passed, 1 failed");
    return 1;
  }
  if (filters.length === 0) {
    console.log("== typecheck");
    const tc = spawnSync(node[0]!, [...node.slice(1), bin("typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"], { cwd: ROOT, env, stdio: "inherit" });
    const tcw = spawnSync(node[0]!, [...node.slice(1), bin("typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.workers.json"], { cwd: ROOT, env, stdio: "inherit" });
    if (tc.status !== 0 || tcw.status !== 0) {
      console.log("0 passed, 1 failed");
      return 1;
    }
  }
  const out = mkdtempSync(path.join(os.tmpdir(), "seed-test-"));
  let passed = 0;
  let failed = 0;
  let status = 0;
  for (const suite of SUITES) {
    console.log(`== ${suite.name}`);
    const report = path.join(out, `${suite.name.replace(/\W+/g, "-")}.json`);
    const r = spawnSync(
      node[0]!,
      [...node.slice(1), bin("vitest/vitest.mjs"), "run", ...suite.args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, "--passWithNoTests", ...filters],
      { cwd: ROOT, env, stdio: "inherit" },
    );
    if (r.status !== 0) status = 1;
    try {
      const json = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
      passed += json.numPassedTests;
      failed += json.numFailedTests;
    } catch {
      failed += 1; // the suite crashed before reporting
    }
  }
  rmSync(out, { recursive: true, force: true });
  if (passed === 0 && failed === 0 && filters.length === 0) status = 1;
  console.log(`${passed} passed, ${failed} failed`);
  return status !== 0 || failed > 0 ? 1 : 0;
}
