// `seed mutate`: which Stryker runs a set of paths makes, and how a report becomes per-file scores.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MUTATION_GROUPS, mutationGroup } from "../../scripts/cli/mutation-groups.ts";
import { fileScores, plan, TARGET_SCORE } from "../../scripts/cli/seed-mutate.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("seed mutate", () => {
  it("runs every group when no path is named, only the named modules' groups otherwise", () => {
    expect(plan([], root)).toEqual(MUTATION_GROUPS);
    expect(plan([path.join(root, "lib/bus/lease.ts"), path.join(root, "lib/mind/regime.ts")], root)).toEqual([
      { name: "bus", mutate: ["lib/bus/lease.ts"], tests: ["test/unit/bus-lease.test.ts"] },
      { name: "coherence", mutate: ["lib/mind/regime.ts"], tests: ["test/unit/mind-coherence.test.ts", "test/unit/coherence-edges.test.ts"] },
    ]);
    expect(() => plan([path.join(root, "lib/errors.ts")], root)).toThrow(/not one of the mutation-tested modules/);
  });

  it("every group's modules and tests exist; the group SEED_MUTATE_GROUP names is the one used", async () => {
    const { existsSync } = await import("node:fs");
    for (const g of MUTATION_GROUPS) for (const f of [...g.mutate, ...g.tests]) expect(existsSync(path.join(root, f)), f).toBe(true);
    expect(mutationGroup("audit").mutate).toContain("lib/audit/verify-chain.ts");
    expect(mutationGroup(undefined).mutate).toHaveLength(MUTATION_GROUPS.flatMap((g) => g.mutate).length);
    expect(() => mutationGroup("nope")).toThrow(/no mutation group "nope"/);
  });

  it("scores a file as killed and timed-out mutants over all valid ones; compile and runtime errors do not count", () => {
    const status = (s: string, n: number) => Array.from({ length: n }, () => ({ status: s }));
    const report = {
      files: {
        "lib/a.ts": { mutants: [...status("Killed", 16), ...status("Timeout", 1), ...status("Survived", 2), ...status("NoCoverage", 1), ...status("CompileError", 5)] },
        "lib/b.ts": { mutants: status("RuntimeError", 2) },
      },
    } as Parameters<typeof fileScores>[0];
    expect(fileScores(report, root)).toEqual([
      { file: "lib/a.ts", killed: 17, survived: 3, score: 85 },
      { file: "lib/b.ts", killed: 0, survived: 0, score: null },
    ]);
    expect(TARGET_SCORE).toBe(85);
  });
});
