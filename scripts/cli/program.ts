// The seed CLI's commands, built apart from main.ts so that tests can read them (flags, help)
// without running anything. Each area's commands live in commands/<area>.ts and import their
// modules only when they run, so `--help` and light commands start fast.
import { Command } from "commander";
import { registerAgents } from "./commands/agents.ts";
import { registerCore } from "./commands/core.ts";
import { registerOutbound } from "./commands/outbound.ts";
import { registerMembrane } from "./commands/membrane.ts";
import { registerMind } from "./commands/mind.ts";
import { registerMemory } from "./commands/memory.ts";
import { registerInstall } from "./commands/install.ts";
import { registerBackup } from "./commands/backup.ts";
import { registerBus } from "./commands/bus.ts";
import { registerKeyFile, registerLink } from "./commands/link.ts";
import { VERSION } from "../../lib/version.ts";

export function buildProgram(): Command {
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
  registerBus(program);
  registerMemory(program);
  registerInstall(program);
  registerLink(program);
  registerKeyFile(program);
  registerBackup(program);
  return program;
}
