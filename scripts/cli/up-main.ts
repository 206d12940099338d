// The entry of the bundled supervisor (see build-supervisor.ts): `seed up` replaces its own
// process with `node supervisor.mjs OPTIONS_JSON`, so the long-lived supervisor is plain
// JavaScript with nothing of the CLI, commander or Node's TypeScript stripping in memory.
import { seedUp, type UpOptions } from "./seed-up.ts";

process.umask(0o077);
const opts = JSON.parse(process.argv[2] ?? "{}") as UpOptions;
seedUp(opts).catch((err: unknown) => {
  console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
