// What `seed test` counts, from vitest's JSON report: pure, so that it is tested on the reports
// vitest really writes (test/unit/seed-test-summary.test.ts).
import { readdirSync } from "node:fs";
import path from "node:path";

/** The parts of vitest's JSON reporter output (Jest-compatible) that the summary reads. */
export type VitestReport = {
  success?: boolean;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { status: string; fullName?: string }[];
  }[];
};

export type Tally = {
  passed: number;
  failed: number;
  skipped: number;
  /** Why something counted as failed without being a failed test: a file that did not load, a hook, an error outside tests. */
  problems: string[];
};

export const EMPTY_TALLY: Tally = { passed: 0, failed: 0, skipped: 0, problems: [] };

const firstLine = (text: string | undefined) => (text ?? "").trim().split("\n")[0] ?? "";

/**
 * Counts one suite's run. A file that failed with no failed test (it did not load, or a hook
 * threw) is one failure, and its tests are not "skipped" (vitest reports a failed beforeAll's
 * tests as skipped). A run that vitest calls unsuccessful (or that exited non-zero) with nothing
 * else to show for it — an unhandled error, a crash before the report — is one failure too.
 */
export function tally(report: VitestReport | null, exitStatus: number | null, root: string, suite: string): Tally {
  if (!report) return { ...EMPTY_TALLY, failed: 1, problems: [`${suite}: vitest wrote no report (exit ${exitStatus ?? "killed"})`] };
  const t: Tally = { passed: 0, failed: 0, skipped: 0, problems: [] };
  for (const file of report.testResults) {
    const rel = path.relative(root, file.name);
    const count = (s: string) => file.assertionResults.filter((a) => a.status === s).length;
    const failedTests = count("failed");
    t.passed += count("passed");
    t.failed += failedTests;
    if (file.status === "failed" && failedTests === 0) {
      t.failed += 1;
      t.problems.push(`${rel}: failed outside its tests: ${firstLine(file.message) || "no message"}`);
    } else {
      t.skipped += count("skipped") + count("pending") + count("todo");
    }
  }
  if ((report.success === false || (exitStatus ?? 1) !== 0) && t.failed === 0) {
    t.failed += 1;
    t.problems.push(`${suite}: vitest failed (exit ${exitStatus ?? "killed"}) with no failed test: an error outside the tests, see above`);
  }
  return t;
}

export function add(a: Tally, b: Tally): Tally {
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, problems: [...a.problems, ...b.problems] };
}

/** The last line of `seed test`. */
export function summaryLine(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}

/** Every `*.test.ts` under `dirs` (relative to root), as root-relative paths with `/`. */
export function testFiles(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith(".test.ts")) out.push(child);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/**
 * A filter as vitest reads it (filterTestFiles in vitest 5): a piece of the file's path relative to
 * the checkout, case-insensitive, or a path (absolute or relative) the file lies under. vitest also
 * takes `file:line`.
 */
export function filterMatches(filter: string, file: string, root: string): boolean {
  const f = filter.replace(/:\d+$/, "");
  const lower = file.toLocaleLowerCase();
  const rel = path.relative(root, path.resolve(root, f)).split(path.sep).join("/");
  return lower.includes(f.toLocaleLowerCase()) || lower.includes(rel.toLocaleLowerCase());
}
