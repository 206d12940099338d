// The installed runtime: PREFIX/<version>/ holds Node itself, the seed's sources and its
// production packages (node_modules without dev dependencies), so the service never fetches
// anything at boot and never reads the checkout (which may sit under /root or /home, hidden by
// ProtectHome). PREFIX/current points at the version the units run; an upgrade flips it.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../workerd-config/build-worker.ts";

/** What of the checkout the runtime needs (no tests, no benchmarks). */
const SOURCES = ["scripts", "lib", "workers", "durable", "migrations", "package.json", "package-lock.json", "wrangler.toml", "tsconfig.json", "README.md"];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 2).join(" ")} failed: ${(r.stderr || r.error?.message || "").trim()}`);
}

/** Build tools: the installed runtime never bundles (an install or upgrade builds from its checkout). */
const BUILD_ONLY = new Set(["wrangler", "esbuild"]);

type LockEntry = { dev?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

/**
 * node_modules paths of the packages the runtime needs: the closure of package.json's
 * dependencies (build tools left out), resolved as Node resolves them, from npm's own record of
 * the installed tree.
 */
export function runtimePackages(root = ROOT): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const seen = new Set<string>();
  /** Where `name` resolves from the package at `from` ("" = the root). */
  const resolve = (from: string, name: string): string | null => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
      const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (lock.packages[candidate] && existsSync(path.join(root, candidate))) return candidate;
      if (!dir) return null;
    }
  };
  const visit = (at: string | null) => {
    if (!at || seen.has(at)) return;
    seen.add(at);
    const e = lock.packages[at]!;
    for (const dep of Object.keys({ ...e.dependencies, ...e.optionalDependencies })) visit(resolve(at, dep));
  };
  for (const name of Object.keys(pkg.dependencies)) if (!BUILD_ONLY.has(name)) visit(resolve("", name));
  // a nested package comes along with its parent folder
  return [...seen].sort().filter((p, _, all) => !all.some((q) => q !== p && p.startsWith(`${q}/`)));
}

export type RuntimePlan = { dir: string; current: string; files: string[] };

export function runtimePlan(prefix: string, version: string): RuntimePlan {
  return { dir: path.join(prefix, version), current: path.join(prefix, "current"), files: [...SOURCES, "node_modules (the packages it runs with, no build tools)", "node/bin/node"] };
}

/** Copies the runtime into PREFIX/<version> (replacing an earlier copy of that version). */
export function installRuntime(prefix: string, version: string, nodeBin = process.execPath): string {
  const dir = path.join(prefix, version);
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, "node", "bin"), { recursive: true });
  mkdirSync(path.join(tmp, "node_modules"), { recursive: true });
  for (const s of SOURCES) if (existsSync(path.join(ROOT, s))) run("cp", ["-a", path.join(ROOT, s), path.join(tmp, s)]);
  // Packages and Node (~270 MB, never edited in place: npm and the launcher replace whole files)
  // are hard-linked when the file system allows it, copied otherwise. One cp for all packages:
  // links inside node_modules (workerd's binary sits in two packages) stay links.
  const copy = (args: string[], cwd?: string) => {
    for (const mode of ["-al", "-a"]) {
      const r = spawnSync("cp", [mode, ...args], { cwd, encoding: "utf8" });
      if (r.status === 0) return;
      if (mode === "-a") throw new Error(`copying the runtime failed: ${r.stderr.trim()}`);
    }
  };
  copy(["--parents", ...runtimePackages(), tmp], ROOT);
  copy([nodeBin, path.join(tmp, "node", "bin", "node")]);
  // The launcher's stamp: these packages match this lock file, nothing to install.
  run("sh", ["-c", `cksum < "$1" > "$2"`, "sh", path.join(tmp, "package-lock.json"), path.join(tmp, "node_modules", ".seed-lock-sum")]);
  // Readable by the service's user whatever the umask of the copy (the CLI runs with 077).
  run("chmod", ["-R", "go+rX,go-w", tmp]);
  chmodSync(prefix, 0o755);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** Points PREFIX/current at a version; returns the version it pointed at before (or null). */
export function switchCurrent(prefix: string, version: string): string | null {
  const current = path.join(prefix, "current");
  const before = existsSync(current) || isLink(current) ? readlinkSync(current) : null;
  const tmp = `${current}.next`;
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, current); // atomic
  return before;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The CLI of the installed runtime, for the seed at HOME; as root it runs as the seed's user. */
export function renderCliWrapper(o: { prefix: string; home: string; user: string }): string {
  const sq = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return `#!/bin/sh
# Installed by \`seed install\`: the seed CLI of the installed runtime, for the seed at ${o.home}.
# As root, every command but install/uninstall/upgrade/doctor runs as ${o.user}, so the files it
# writes under the home stay the service's own.
SEED_HOME=\${SEED_HOME:-${sq(o.home)}}; export SEED_HOME
runtime=${sq(path.join(o.prefix, "current"))}
case "\${1:-}" in install|uninstall|upgrade|doctor) ;; *)
  if [ "$(id -u)" -eq 0 ]; then exec setpriv --reuid=${sq(o.user)} --regid=${sq(o.user)} --init-groups -- "$0" "$@"; fi ;;
esac
exec "$runtime/node/bin/node" --no-warnings=ExperimentalWarning "$runtime/scripts/cli/main.ts" "$@"
`;
}

export function writeExecutable(file: string, text: string): void {
  if (!existsSync(path.dirname(file))) {
    mkdirSync(path.dirname(file), { recursive: true });
    chmodSync(path.dirname(file), 0o755);
  }
  writeFileSync(file, text, { mode: 0o755 });
  chmodSync(file, 0o755);
}
