// What `seed mutate` mutation-tests: the trust-critical modules, each group with the fast
// Node-side tests that cover it. Stryker runs once per group, so a mutant that every test could
// notice (a changed constant, a "static" mutant) re-runs only its group's tests, not all of them.
// Read by stryker.config.mjs and vitest.mutate.config.ts through SEED_MUTATE_GROUP.

export type MutationGroup = { name: string; mutate: string[]; tests: string[] };

export const MUTATION_GROUPS: MutationGroup[] = [
  { name: "keys", mutate: ["lib/keys.ts"], tests: ["test/unit/keys.test.ts"] },
  {
    name: "audit",
    mutate: ["lib/audit/audit-chain.ts", "lib/audit/checkpoint.ts", "lib/audit/verify-chain.ts"],
    tests: ["test/unit/audit-chain.test.ts", "test/unit/verify-chain.test.ts"],
  },
  { name: "credentials", mutate: ["lib/credentials.ts"], tests: ["test/unit/credentials.test.ts"] },
  {
    name: "webhooks",
    mutate: ["lib/mind/hmac.ts", "lib/mind/standard-webhooks.ts", "lib/mind/github-signature.ts"],
    tests: ["test/unit/mind-signatures.test.ts", "test/unit/webhook-signatures.test.ts"],
  },
  { name: "bus", mutate: ["lib/bus/lease.ts"], tests: ["test/unit/bus-lease.test.ts"] },
  {
    name: "sql",
    mutate: ["scripts/db-server/sql-analysis.ts", "scripts/db-server/sql-policy.ts"],
    tests: ["test/db-server/sql-tokenizer.test.ts", "test/db-server/sql-classification.test.ts"],
  },
  {
    name: "coherence",
    mutate: ["lib/mind/stall.ts", "lib/mind/failing.ts", "lib/mind/regime.ts", "lib/mind/expectation.ts"],
    tests: ["test/unit/mind-coherence.test.ts", "test/unit/coherence-edges.test.ts"],
  },
];

/** The group SEED_MUTATE_GROUP names (every group's files when it names none). */
export function mutationGroup(name: string | undefined): MutationGroup {
  if (name === undefined || name === "") {
    return { name: "all", mutate: MUTATION_GROUPS.flatMap((g) => g.mutate), tests: MUTATION_GROUPS.flatMap((g) => g.tests) };
  }
  const group = MUTATION_GROUPS.find((g) => g.name === name);
  if (!group) throw new Error(`no mutation group ${JSON.stringify(name)} (${MUTATION_GROUPS.map((g) => g.name).join(", ")})`);
  return group;
}
