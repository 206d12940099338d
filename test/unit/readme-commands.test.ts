// Every `seed …` the README shows — in its shell examples and its tables — names a command that
// exists, and every --flag it passes is one that command (or a parent) takes: checked against
// the CLI's own definitions (scripts/cli/program.ts), so a renamed command or flag fails here.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../scripts/cli/program.ts";

const README = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");

/** `seed …` invocations: each line of ```sh blocks (split at && ; | ||) and each inline `seed …` span. */
export function seedInvocations(md: string): string[] {
  const found: string[] = [];
  for (const block of md.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split("\n")) {
      for (const part of line.replace(/\s#.*$/, "").split(/&&|\|\||;|\|(?=\s)/)) {
        // At the start of a command (after VAR=value, sudo or env), not an argument (`systemctl status seed`).
        const m = /^(?:\w+=\S*\s+|sudo\s+(?:-\S+\s+(?:\S+\s+)?)?|env\s+)*(?:\S*\/)?seed (.*)$/.exec(part.trim());
        if (m) found.push(m[1]!.trim());
      }
    }
  }
  const prose = md.replace(/```[\s\S]*?```/g, "");
  for (const m of prose.matchAll(/`(?:scripts\/)?seed ([^`]+)`/g)) found.push(m[1]!.replace(/\\\|/g, "|").trim());
  return found;
}

const flagsOf = (cmd: Command | null): Set<string> => {
  const all = new Set<string>(["--help"]);
  for (let c = cmd; c; c = c.parent) for (const o of c.options) if (o.long) all.add(o.long), o.negate && all.add(o.long);
  return all;
};

function check(program: Command, line: string): string[] {
  const tokens = line.split(/\s+/).map((t) => t.replace(/^[[(]+|[\])…,.]+$/g, "")).filter(Boolean);
  let cmd = program;
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith("-") || t === "…" || t === "...") break;
    const alternatives = t.split("|");
    const subs = alternatives.map((a) => cmd.commands.find((c) => c.name() === a || c.aliases().includes(a)));
    if (subs.every((s) => !s)) {
      // An argument — unless this command takes none and only has subcommands.
      if (cmd.commands.length > 0 && cmd.registeredArguments.length === 0) return [`seed ${line}: no command ${cmd === program ? "" : `${cmd.name()} `}${t}`];
      break;
    }
    const missing = alternatives.filter((_, k) => !subs[k]);
    if (missing.length) return [`seed ${line}: no command ${missing.map((m) => `${cmd.name()} ${m}`).join(", ")}`];
    if (alternatives.length > 1) {
      // `seed bus publish|pull|…`: each exists; the flags after it belong to no single one.
      return [];
    }
    cmd = subs[0]!;
  }
  const known = flagsOf(cmd);
  if (cmd === program) known.add("--version");
  const problems: string[] = [];
  for (const t of tokens.slice(i)) {
    if (/^[>|<]/.test(t)) break;
    const flag = /^(--[a-z][a-z0-9-]*)/.exec(t)?.[1];
    if (flag && !known.has(flag)) problems.push(`seed ${line}: \`${cmd.name()}\` has no ${flag}`);
  }
  return problems;
}

describe("README examples", () => {
  const invocations = seedInvocations(README);

  it("finds the README's seed commands", () => {
    expect(invocations.length).toBeGreaterThan(50);
    expect(invocations).toContain("bus publish orders '{\"id\": 7}' --idempotency-key order-7");
  });

  it("name commands and flags that exist", () => {
    const program = buildProgram();
    expect(invocations.flatMap((line) => check(program, line))).toEqual([]);
  });

  it("the checker catches a command or a flag that does not exist", () => {
    const program = buildProgram();
    expect(check(program, "bus publsh orders 1")).toEqual(["seed bus publsh orders 1: no command bus publsh"]);
    expect(check(program, "bus publish orders 1 --idempotency")).toEqual(["seed bus publish orders 1 --idempotency: `publish` has no --idempotency"]);
    expect(check(program, "nosuch thing")).toEqual(["seed nosuch thing: no command nosuch"]);
    expect(check(program, "bus publish|pulll")).toEqual(["seed bus publish|pulll: no command bus pulll"]);
  });
});
