// `seed link`: puts this checkout's `seed` on the PATH as a symlink to scripts/seed (the launcher
// follows the link back to the checkout), so that `seed …` works from any directory. An installed
// seed gets /usr/local/bin/seed from `seed install` instead.
import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { homeOption, log } from "../cli-common.ts";

const LAUNCHER = path.resolve(import.meta.dirname, "..", "..", "seed");

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function registerLink(program: Command): void {
  program
    .command("link")
    .description("put `seed` on the PATH: a symlink DIR/seed → this checkout's scripts/seed")
    .option("--bin-dir <dir>", "where the link goes (default /usr/local/bin when writable, else ~/.local/bin)")
    .option("--force", "replace a DIR/seed that is not already this link")
    .option("--json", "print {link, target, onPath} as JSON")
    .addHelpText("after", "\nExamples:\n  scripts/seed link                    # then: seed status, from any directory\n  scripts/seed link --bin-dir ~/bin")
    .action((opts: { binDir?: string; force?: boolean; json?: boolean }) => {
      const dir = path.resolve(opts.binDir ?? (writable("/usr/local/bin") ? "/usr/local/bin" : path.join(os.homedir(), ".local", "bin")));
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const link = path.join(dir, "seed");
      let existing: string | null = null;
      try {
        existing = lstatSync(link).isSymbolicLink() ? path.resolve(dir, readlinkSync(link)) : "a file";
      } catch {}
      if (existing !== null && existing !== LAUNCHER) {
        if (!opts.force) throw new Error(`${link} exists (${existing === "a file" ? "not a link" : `→ ${existing}`}); pass --force to replace it`);
        unlinkSync(link);
      }
      if (existing !== LAUNCHER) symlinkSync(LAUNCHER, link);
      const onPath = (process.env.PATH ?? "").split(path.delimiter).some((p) => p && path.resolve(p) === dir);
      if (opts.json) return log(JSON.stringify({ link, target: LAUNCHER, onPath }, null, 2));
      log(`${link} → ${LAUNCHER}`);
      if (!onPath) log(`${dir} is not on your PATH; add it:\n  export PATH="${dir}:$PATH"`);
    });
}

/** `seed key-file`: the path of the root key the CLI presents (the owner's after a handoff), never the key. */
export function registerKeyFile(program: Command): void {
  program
    .command("key-file")
    .description("print the path of the root key file the CLI presents (keys/owner.key after `seed handoff`, else keys/root.key); never the key")
    .addOption(homeOption())
    .option("--key-file <file>", "this file instead (env SEED_KEY_FILE)")
    .addHelpText("after", "\nFor curl, without the key on any command line:\n  printf 'Authorization: Bearer %s\\n' \"$(cat \"$(seed key-file)\")\" | curl -s -H @- http://127.0.0.1:8787/v1/owner/whoami")
    .action(async (opts: { home?: string; keyFile?: string }) => {
      const { resolveHome } = await import("../home.ts");
      const { cliKeyFile } = await import("../key-file.ts");
      log(cliKeyFile(resolveHome(opts.home), opts.keyFile));
    });
}
