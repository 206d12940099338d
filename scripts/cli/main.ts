// The seed CLI. Reached through scripts/seed, which brings Node 22 and the packages. Each area's
// commands live in commands/<area>.ts and import their modules only when they run, so `--help`
// and light commands start fast.
import { Command } from "commander";
import { registerAgents } from "./commands/agents.ts";
import { registerCore } from "./commands/core.ts";
import { registerOutbound } from "./commands/outbound.ts";
import { registerMembrane } from "./commands/membrane.ts";
import { registerMind } from "./commands/mind.ts";
import { registerMemory } from "./commands/memory.ts";
import { registerInstall } from "./commands/install.ts";
import { registerBackup } from "./commands/backup.ts";
import { VERSION } from "../../lib/version.ts";

// Everything the seed writes under SEED_HOME (and its children write: the database, workerd's
// Durable Object files) is private to its user: 0600 files, 0700 folders.
process.umask(0o077);

const program = new Command()
  .name("seed")
  .description("A sovereign AI organism on your own server: bus, mind, memory, identity, one revocable door.")
  .version(VERSION, "-V, --version", "print the seed's version")
  .enablePositionalOptions() // lets a subcommand (`seed backup keygen --out`) own an option its parent also has
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({ outputError: (str, write) => write(str) });

registerCore(program);
registerAgents(program);
registerOutbound(program);
registerMembrane(program);
registerMind(program);
registerMemory(program);
registerInstall(program);
registerBackup(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
