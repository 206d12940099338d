// `seed up` supervises the libSQL server and workerd for as long as the seed runs, so its own
// footprint counts: started as the TypeScript CLI it holds commander, every command's imports and
// Node's TypeScript stripper (~100 MiB RSS). Instead the CLI bundles the supervisor once into one
// plain-JavaScript file (esbuild) and replaces its own process with it (process.execve: same pid,
// same terminal, same signals). Rebuilt only when one of the bundle's inputs changed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { ROOT } from "../workerd-config/build-worker.ts";
import { builtinsByRequire, REQUIRE_BANNER } from "./esbuild-node-builtins.ts";

const ENTRY = path.join(ROOT, "scripts", "cli", "up-main.ts");

/** Each module keeps its own location: import.meta.dirname/filename/url become the source's. */
const sourceLocation: Plugin = {
  name: "source-location",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8")
        .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path))
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      return { contents: text, loader: "ts" };
    });
  },
};

const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

function upToDate(outFile: string, stamp: string): boolean {
  if (!existsSync(outFile) || !existsSync(stamp)) return false;
  try {
    const inputs = JSON.parse(readFileSync(stamp, "utf8")) as Record<string, string>;
    return Object.entries(inputs).every(([file, hash]) => existsSync(file) && digest(file) === hash);
  } catch {
    return false;
  }
}

/** The supervisor's bundle under `dir` (created 0700), built when missing or stale; `entry` is for tests. */
export async function buildSupervisor(dir: string, entry = ENTRY): Promise<string> {
  const outFile = path.join(dir, "supervisor.mjs");
  const stamp = `${outFile}.inputs.json`;
  if (upToDate(outFile, stamp)) return outFile;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const result = await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    packages: "external", // node_modules are imported from the checkout (none is loaded at rest)
    metafile: true,
    write: false, // written below, atomically: two `seed up` at once never run a half-written bundle
    logLevel: "silent",
    banner: { js: REQUIRE_BANNER },
    plugins: [sourceLocation, builtinsByRequire],
  });
  const tmp = `${outFile}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0]!.contents, { mode: 0o600 });
  renameSync(tmp, outFile);
  const inputs: Record<string, string> = {};
  // How it is built counts too: a changed build rebuilds the bundle.
  for (const file of [import.meta.filename, path.join(import.meta.dirname, "esbuild-node-builtins.ts")]) inputs[file] = digest(file);
  for (const rel of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(rel);
    if (existsSync(file)) inputs[file] = digest(file);
  }
  writeFileSync(`${stamp}.${process.pid}.tmp`, JSON.stringify(inputs), { mode: 0o600 });
  renameSync(`${stamp}.${process.pid}.tmp`, stamp);
  return outFile;
}

/**
 * Replaces this process with the bundled supervisor running `seedUp(opts)`. Returns only when it
 * cannot (no write access to the checkout's cache, a build error): the caller then supervises
 * in-process, as before.
 */
export async function execSupervisor(opts: unknown): Promise<false> {
  let bundle: string;
  try {
    // One bundle per checkout (a copy may share node_modules through a link): its paths are that checkout's.
    const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 16);
    bundle = await buildSupervisor(path.join(ROOT, "node_modules", ".cache", "seed-supervisor", checkout));
  } catch {
    return false;
  }
  process.execve!(process.execPath, [process.execPath, ...process.execArgv, bundle, JSON.stringify(opts)], process.env as Record<string, string>);
  return false; // not reached
}
