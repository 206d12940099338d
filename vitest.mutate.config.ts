import { defineConfig } from "vitest/config";
import { mutationGroup } from "./scripts/cli/mutation-groups.ts";

// The tests Stryker runs against each mutant (`seed mutate`): the fast Node-side units of the
// group being mutated (scripts/cli/mutation-groups.ts), nothing that starts a seed.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    include: mutationGroup(process.env.SEED_MUTATE_GROUP).tests,
  },
});
