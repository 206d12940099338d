// `scripts/seed mutate [PATH…]`: mutation testing of the trust-critical modules with Stryker (see
// the README's Testing section for the scores, the surviving mutants and why each is equivalent).
// One group of modules per run (SEED_MUTATE_GROUP, scripts/cli/mutation-groups.ts); each mutant
// runs only the fast Node-side units of its group that cover it, one mutant at a time.
import { mutationGroup } from "./scripts/cli/mutation-groups.ts";

const group = mutationGroup(process.env.SEED_MUTATE_GROUP);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", pool: "forks", related: false },
  // Workaround (Stryker 10.1.1 with TypeScript 7.0): both Stryker's tsconfig rewriting and its
  // TypeScript checker call `ts.parseConfigFileTextToJson`, which TypeScript 7's package no
  // longer exports. No tsconfig is named (the sandbox needs no rewriting: nothing extends or
  // references a file outside it) and no checker runs: a mutant that would not type-check runs
  // against the tests like any other (vitest strips types), so it is killed or listed honestly.
  tsconfigFile: "no-tsconfig-for-stryker.json",
  coverageAnalysis: "perTest",
  concurrency: 1,
  mutate: group.mutate,
  ignorePatterns: ["/.seed", "/.wrangler", "/.xdg", "/dist", "/reports", "/.cache", "/.stryker-tmp"],
  thresholds: { high: 90, low: 85, break: null },
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: `reports/mutation/${group.name}.json` },
  tempDirName: `.stryker-tmp/${group.name}`,
  cleanTempDir: "always",
};
