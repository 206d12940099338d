// Prints what wrangler.toml declares as JSON. Run as its own short process so that whoever needs
// the declaration (the long-lived `seed up` supervisor) does not keep all of wrangler in memory.
import { readDeclaration } from "./build-worker.ts";

process.stdout.write(JSON.stringify(await readDeclaration()));
