// The libSQL server that `seed up` supervises runs from one plain-JavaScript bundle: Node's
// TypeScript stripping keeps its compiler in memory, which cost ~28 MB of RSS in a process meant
// for a 1 GB box. Rebuilt only when a source file changed.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROOT } from "../workerd-config/build-worker.ts";
import { builtinsByRequire, REQUIRE_BANNER } from "./esbuild-node-builtins.ts";

const SOURCE_DIR = path.join(ROOT, "scripts", "db-server");

function sourceHash(libsqlRoot: string): string {
  const h = createHash("sha256").update(libsqlRoot).update("\0"); // the bundle names that copy of libsql
  for (const f of readdirSync(SOURCE_DIR).filter((f) => f.endsWith(".ts")).sort()) {
    h.update(f).update("\0").update(readFileSync(path.join(SOURCE_DIR, f))).update("\0");
  }
  // How it is built counts too: a changed build rebuilds the bundles of existing homes.
  for (const f of [import.meta.filename, path.join(import.meta.dirname, "esbuild-node-builtins.ts")]) h.update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

/**
 * Writes `outFile` (ESM) unless it already holds the current sources. The native driver is
 * imported from `libsqlRoot`'s node_modules: the checkout's, or an installed runtime's.
 */
export async function buildDbServer(outFile: string, libsqlRoot = ROOT): Promise<string> {
  const requireFromRoot = createRequire(path.join(libsqlRoot, "package.json"));
  const hash = sourceHash(libsqlRoot);
  const stamp = `${outFile}.source-hash`;
  if (existsSync(outFile) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return outFile;
  await build({
    entryPoints: [path.join(SOURCE_DIR, "main.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "silent",
    // CommonJS dependencies (ws) and our own imports of Node's built-ins require them; an ESM
    // bundle has no `require` of its own
    banner: { js: REQUIRE_BANNER },
    plugins: [
      builtinsByRequire,
      {
        // The native driver stays outside the bundle; the bundle lives under SEED_HOME, so it
        // imports the checkout's copy by its file URL.
        name: "libsql-from-checkout",
        setup(b) {
          b.onResolve({ filter: /^libsql$/ }, () => ({ path: pathToFileURL(requireFromRoot.resolve("libsql")).href, external: true }));
        },
      },
    ],
  });
  writeFileSync(stamp, hash, { mode: 0o600 });
  return outFile;
}
