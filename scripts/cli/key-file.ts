// Which file holds the root key the CLI presents to the running seed. One rule, used by every
// command that calls the seed and by every command that prints "your key is in …":
// --key-file, else SEED_KEY_FILE, else SEED_HOME/keys/owner.key when it exists (written by
// `seed handoff`), else SEED_HOME/keys/root.key (the installer's, until the handoff retires it).
import { existsSync } from "node:fs";
import path from "node:path";
import { homePaths } from "./home.ts";

export function cliKeyFile(homeDir: string, flag?: string): string {
  const home = homePaths(homeDir);
  const chosen = flag ?? process.env.SEED_KEY_FILE;
  if (chosen) return path.resolve(chosen);
  return existsSync(home.ownerKey) ? home.ownerKey : home.rootKey;
}

/** One line for `seed up`/`seed init` to print: where the current root key is, never the key. */
export function keyFileLine(homeDir: string): string {
  const file = cliKeyFile(homeDir);
  if (existsSync(file)) return `root key: ${file}`;
  return `root key: not in ${homePaths(homeDir).keysDir} (after \`seed handoff --out FILE\` pass --key-file FILE or set SEED_KEY_FILE)`;
}
