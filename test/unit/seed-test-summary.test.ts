// `seed test`'s own counting, on the reports vitest really writes for the fixture files in
// test/fixtures/summary: skipped tests are shown, a file that fails to load (or whose hook throws)
// and an error outside the tests count as failures, and a filter that matches nothing fails.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { seedTest, type Suite } from "../../scripts/cli/seed-test.ts";
import { filterMatches } from "../../scripts/cli/test-summary.ts";
import { REPO } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";

const FIXTURES: Suite[] = [{ name: "fixtures", args: ["--config", "test/fixtures/summary/vitest.config.ts"], dirs: ["test/fixtures/summary"] }];

async function run(filters: string[]) {
  const lines: string[] = [];
  const status = await seedTest(filters, { suites: FIXTURES, full: false, stdio: "pipe", log: (l) => lines.push(...l.split("\n")) });
  return { status, lines, last: lines.at(-1) };
}

// Each case starts vitest once (seconds when quiet, far more on a loaded 2-core machine).
describe("seed test's summary", { timeout: 300_000 }, () => {
  it("counts passed, failed and skipped (todo included), and passes only when nothing failed", async () => {
    const r = await run(["passing"]);
    expect(r.last).toBe("1 passed, 0 failed, 2 skipped");
    expect(r.status).toBe(0);
  });

  it("a file that does not load, and one whose beforeAll throws, each count as a failure, named", async () => {
    const r = await run(["broken", "failing"]);
    // broken-load: 1; broken-hook: 1 (its two tests are not "skipped"); failing: 1 passed, 1 failed.
    expect(r.last).toBe("1 passed, 3 failed, 0 skipped");
    expect(r.status).toBe(1);
    expect(r.lines).toContainEqual(expect.stringMatching(/test\/fixtures\/summary\/broken-load\.test\.ts: failed outside its tests: .*this file cannot load/));
    expect(r.lines).toContainEqual(expect.stringMatching(/test\/fixtures\/summary\/broken-hook\.test\.ts: failed outside its tests: .*the setup failed/));
  });

  it("an error thrown outside any test fails the run even though every test passed", async () => {
    const r = await run(["unhandled"]);
    expect(r.last).toBe("2 passed, 1 failed, 0 skipped");
    expect(r.status).toBe(1);
    expect(r.lines).toContainEqual(expect.stringContaining("fixtures: vitest failed (exit 1) with no failed test"));
  });

  it("a filter that matches no test file fails at once, naming it", async () => {
    const r = await run(["passing", "no-such-test"]);
    expect(r.status).toBe(1);
    expect(r.lines[0]).toBe('seed test: no test file matches "no-such-test" (files under test/fixtures/summary)');
    expect(r.last).toBe("0 passed, 1 failed, 0 skipped");
  });

  it("what the tests leave in the temp dir goes with the run: suites get a TMPDIR of the run's own", async () => {
    const record = path.join(tempDir(), "left-path");
    process.env.SEED_FIXTURE_RECORD = record;
    try {
      const r = await run(["temp-files"]);
      expect(r.last).toBe("1 passed, 0 failed, 0 skipped");
    } finally {
      delete process.env.SEED_FIXTURE_RECORD;
    }
    const left = readFileSync(record, "utf8");
    expect(path.relative(os.tmpdir(), left).split(path.sep)[0]).toMatch(/^seed-test-/);
    expect(existsSync(left)).toBe(false);
  });

  it("files that match but run no test fail too", async () => {
    const r = await run(["all-skipped"]);
    expect(r.status).toBe(1);
    expect(r.lines).toContain("seed test: the matching files ran no test");
    expect(r.last).toBe("0 passed, 1 failed, 1 skipped");
  });
});

describe("filters match as vitest matches them", () => {
  const file = "test/unit/keys.test.ts";
  it("a piece of the path, case-insensitive, a path under the checkout, or file:line", () => {
    expect(filterMatches("keys", file, REPO)).toBe(true);
    expect(filterMatches("KEYS", file, REPO)).toBe(true);
    expect(filterMatches("test/unit", file, REPO)).toBe(true);
    expect(filterMatches(`${REPO}/test/unit/keys.test.ts`, file, REPO)).toBe(true);
    expect(filterMatches("./test/unit/keys", file, REPO)).toBe(true);
    expect(filterMatches("test/unit/keys.test.ts:12", file, REPO)).toBe(true);
    expect(filterMatches("test/system", file, REPO)).toBe(false);
    expect(filterMatches("audit", file, REPO)).toBe(false);
  });
});
