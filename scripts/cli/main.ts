// The seed CLI. Reached through scripts/seed, which brings Node 22 and the packages; the commands
// are built in program.ts.
import { buildProgram } from "./program.ts";

// Everything the seed writes under SEED_HOME (and its children write: the database, workerd's
// Durable Object files) is private to its user: 0600 files, 0700 folders.
process.umask(0o077);

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
