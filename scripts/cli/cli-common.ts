// What every command file shares: output, the --home option, and the API target of a running seed.
import { Command, Option } from "commander";
import { resolveHome } from "./home.ts";

export const log = (line: string) => console.log(line);

export const homeOption = () => new Option("--home <dir>", "the organism's folder (env SEED_HOME, default ./.seed in the checkout)");

/** Options of commands that talk to a running seed over HTTP with the owner's root key. */
export const apiOptions = (cmd: Command) =>
  cmd
    .addOption(homeOption())
    .option("--url <url>", "the seed's HTTP URL (env SEED_URL; default: the running seed of --home)")
    .option("--key-file <file>", "file holding the owner's root key (env SEED_KEY_FILE; default SEED_HOME/keys/owner.key if it exists, else SEED_HOME/keys/root.key)");

export type ApiFlags = { home?: string; url?: string; keyFile?: string; json?: boolean };

export const target = (o: ApiFlags) => ({ home: resolveHome(o.home), url: o.url, keyFile: o.keyFile });

/** A flag that carries JSON (`--payload '{"a": 1}'`): its value, or undefined when not given. */
export function jsonFlag(raw: string | undefined, flag: string): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new Error(`${flag} must be JSON`);
  }
}
