// The one place that installs the Debian packages tests and benchmarks need. CI starts on a fresh
// machine: whatever a test runs (systemd-analyze, caddy, …) is brought here, by `seed test` and
// `seed bench`, with apt-get — only what is missing, and only as root; otherwise a clear failure.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

export type Purpose = "test" | "bench";

export type SystemPackage = {
  /** Debian package name. */
  name: string;
  /** A command the package provides: present on PATH means installed. */
  command: string;
  for: Purpose[];
  why: string;
};

// Add your package here (one line) when a test or benchmark of yours needs one.
export const SYSTEM_PACKAGES: SystemPackage[] = [
  { name: "systemd", command: "systemd-analyze", for: ["test"], why: "seed install: units checked with systemd-analyze verify" },
  { name: "caddy", command: "caddy", for: ["test"], why: "the reverse-proxy test runs the real Caddy" },
  { name: "chromium", command: "chromium", for: ["test"], why: "the console is tested in a real headless Chromium (playwright-core drives it)" },
  { name: "redis-server", command: "redis-server", for: ["bench"], why: "bench bus: the Redis Streams anchor" },
];

/** The absolute path of `command` on PATH, or null. */
export function which(command: string, envPath = process.env.PATH ?? ""): string | null {
  // sbin folders too: root's tools live there and a non-login PATH may lack them.
  const dirs = [...envPath.split(path.delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export function missingPackages(purpose: Purpose, packages = SYSTEM_PACKAGES): SystemPackage[] {
  return packages.filter((p) => p.for.includes(purpose) && which(p.command) === null);
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function installCommand(names: string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${names.join(" ")}`;
}

export type EnsureResult = { installed: string[]; missing: SystemPackage[] };

/**
 * Installs the packages `purpose` needs that are missing (as root, with apt-get). Returns what is
 * still missing afterwards, with nothing thrown: the caller decides whether that is fatal.
 */
export function ensureSystemPackages(purpose: Purpose, log: (line: string) => void = (l) => console.error(l)): EnsureResult {
  const missing = missingPackages(purpose);
  if (missing.length === 0) return { installed: [], missing: [] };
  const names = missing.map((p) => p.name);
  if (!isRoot() || which("apt-get") === null) {
    log(`seed: missing Debian packages: ${missing.map((p) => `${p.name} (${p.why})`).join(", ")}`);
    log(`seed: install them as root: ${installCommand(names)}`);
    return { installed: [], missing };
  }
  log(`seed: installing Debian packages for ${purpose}: ${names.join(", ")} (once)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const quiet = { env, stdio: ["ignore", "ignore", "pipe"] as ("ignore" | "pipe")[], encoding: "utf8" as const };
  const update = spawnSync("apt-get", ["update", "-qq"], quiet);
  const install = update.status === 0 ? spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], quiet) : update;
  const still = missingPackages(purpose);
  if (still.length > 0) {
    log(`seed: apt-get could not install ${still.map((p) => p.name).join(", ")}: ${(install.stderr ?? "").trim().split("\n").slice(-3).join(" | ") || `exit ${install.status}`}`);
  }
  return { installed: names.filter((n) => !still.some((p) => p.name === n)), missing: still };
}

/** For tests: the absolute path of a command a Debian package provides, or a clear failure. */
export function requireCommand(command: string): string {
  const found = which(command);
  if (found) return found;
  const pkg = SYSTEM_PACKAGES.find((p) => p.command === command);
  throw new Error(
    `this test needs \`${command}\`${pkg ? ` (Debian package ${pkg.name})` : ""}, which is not installed: ` +
      `run \`scripts/seed test\` as root (it installs it) or ${installCommand([pkg?.name ?? command])}`,
  );
}
