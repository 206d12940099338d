// `seed mutate [PATH…]`: Stryker over the trust-critical modules (scripts/cli/mutation-groups.ts),
// or over the ones named. Prints each file's mutation score and fails when one is under the
// target: a surviving mutant is a bug the tests would let through, or an equivalent mutant the
// README's Testing section names.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { MUTATION_GROUPS, type MutationGroup } from "./mutation-groups.ts";

/** The score every mutated module must reach (issue 16). */
export const TARGET_SCORE = 85;

type MutantStatus = "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
export type MutationReport = { files: Record<string, { mutants: { status: MutantStatus }[] }> };
export type FileScore = { file: string; killed: number; survived: number; score: number | null };

/** Stryker's "total" score per file: killed (and timed-out) mutants over all valid ones. */
export function fileScores(report: MutationReport, root: string): FileScore[] {
  return Object.entries(report.files).map(([file, { mutants }]) => {
    const n = (s: MutantStatus[]) => mutants.filter((m) => s.includes(m.status)).length;
    const killed = n(["Killed", "Timeout"]);
    const survived = n(["Survived", "NoCoverage"]);
    const valid = killed + survived;
    return { file: path.relative(root, path.resolve(root, file)), killed, survived, score: valid === 0 ? null : (100 * killed) / valid };
  });
}

/** The groups to run, each narrowed to the files named (all of them when none is). */
export function plan(paths: string[], root: string): MutationGroup[] {
  if (paths.length === 0) return MUTATION_GROUPS;
  const wanted = paths.map((p) => {
    const rel = path.relative(root, path.resolve(p)).split(path.sep).join("/");
    if (!MUTATION_GROUPS.some((g) => g.mutate.includes(rel))) {
      throw new Error(`${p} is not one of the mutation-tested modules: ${MUTATION_GROUPS.flatMap((g) => g.mutate).join(", ")}`);
    }
    return rel;
  });
  return MUTATION_GROUPS.map((g) => ({ ...g, mutate: g.mutate.filter((f) => wanted.includes(f)) })).filter((g) => g.mutate.length > 0);
}

export function seedMutate(paths: string[], root: string, log: (line: string) => void = console.log): number {
  const started = Date.now();
  const stryker = path.join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
  const scores: FileScore[] = [];
  for (const group of plan(paths, root)) {
    log(`== mutate ${group.name}: ${group.mutate.join(", ")}`);
    const report = path.join(root, "reports", "mutation", `${group.name}.json`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [...process.execArgv, stryker, "run", "stryker.config.mjs", "--mutate", group.mutate.join(",")], {
      cwd: root,
      env: { ...process.env, SEED_MUTATE_GROUP: group.name },
      stdio: "inherit",
    });
    if (r.status !== 0 || !existsSync(report) || statSync(report).mtimeMs < t0) {
      log(`seed mutate: Stryker failed on ${group.name}`);
      return 1;
    }
    scores.push(...fileScores(JSON.parse(readFileSync(report, "utf8")) as MutationReport, root));
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const low = scores.filter((s) => s.score !== null && s.score < TARGET_SCORE);
  for (const s of scores) log(`${s.score === null ? "    -" : s.score.toFixed(1).padStart(5)}%  ${s.file} (${s.killed} killed, ${s.survived} survived)`);
  log(`seed mutate: ${scores.length} files in ${minutes} min; ${low.length === 0 ? `every file at or above ${TARGET_SCORE}%` : `under ${TARGET_SCORE}%: ${low.map((s) => s.file).join(", ")}`}`);
  return low.length === 0 ? 0 : 1;
}
