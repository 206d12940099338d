import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";

function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    out[path.relative(dir, p) || "."] = (statSync(p).mode & 0o777).toString(8);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

function snapshot(home: string) {
  const files = ["master.key", "identity/seed.key", "identity/seed.pub", "keys/db.token", "keys/root.key"];
  return Object.fromEntries(files.map((f) => [f, readFileSync(path.join(home, f)).toString("base64")]));
}

describe("seed init", () => {
  it("creates SEED_HOME with private files, and a second run changes nothing", () => {
    const home = path.join(tempDir(), "my seed");
    const first = runCli(["init", "--home", home, "--json"]);
    expect(first.status, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout) as { seedId: string; created: string[]; rootKey?: string; rootKeyCreated?: boolean };
    expect(r1.seedId).toMatch(/^seed-[a-z2-7]{26}$/);
    expect(r1.created).toEqual(expect.arrayContaining(["master.key", "identity", "keys/db.token", "keys/root.key"]));
    // Not a terminal: the key is in its 0600 file only, never in the output (a pipe may be a log).
    expect(r1.rootKeyCreated).toBe(true);
    expect(r1.rootKey).toBeUndefined();
    expect(readFileSync(path.join(home, "keys/root.key"), "utf8").trim()).toMatch(/^seed_root_[a-z0-9]{16}_[a-f0-9]{64}$/);
    expect(statSync(path.join(home, "master.key")).size).toBe(32);

    const before = snapshot(home);
    const second = runCli(["init", "--home", home]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing to do");
    expect(second.stdout).not.toContain("seed_root_");
    expect(snapshot(home)).toEqual(before);
    const third = JSON.parse(runCli(["init", "--home", home, "--json"]).stdout) as { seedId: string; created: string[] };
    expect(third).toMatchObject({ seedId: r1.seedId, created: [] });

    for (const [file, mode] of Object.entries(modes(home))) {
      const isDir = statSync(path.join(home, file)).isDirectory();
      expect(mode, file).toBe(isDir ? "700" : "600");
    }
  });

  it("the root key's secret is not in the database, only its hash", () => {
    const home = path.join(tempDir(), "home");
    expect(runCli(["init", "--home", home, "--json"]).status).toBe(0);
    const secret = readFileSync(path.join(home, "keys/root.key"), "utf8").trim().split("_")[3]!;
    const db = readFileSync(path.join(home, "db", "seed.db"));
    const wal = (() => { try { return readFileSync(path.join(home, "db", "seed.db-wal")); } catch { return Buffer.alloc(0); } })();
    expect(db.includes(secret)).toBe(false);
    expect(wal.includes(secret)).toBe(false);
  });

  it("refuses half an identity instead of minting over it", () => {
    const home = path.join(tempDir(), "home");
    expect(runCli(["init", "--home", home]).status).toBe(0);
    const pub = path.join(home, "identity", "seed.pub");
    rmSync(pub);
    const r = runCli(["init", "--home", home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^seed: half an identity/);
  });
});

describe("seed init output and bad homes", () => {
  it("prints a new root key only to an interactive terminal", () => {
    const home = path.join(tempDir(), "tty home");
    // util-linux `script` gives the CLI a pseudo-terminal, as an owner typing at a shell would.
    const cmd = [process.execPath, ...process.execArgv, path.join(REPO, "scripts/cli/main.ts"), "init", "--home", home].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(readFileSync(path.join(home, "keys/root.key"), "utf8").trim());
    const piped = runCli(["init", "--home", path.join(tempDir(), "piped home")]);
    expect(piped.stdout).toContain("installer root key saved to");
    expect(piped.stdout).not.toContain("seed_root_");
  });

  it("fails at once, without spinning, where no folder can be made (/proc)", () => {
    const r = runCli(["init", "--home", "/proc/seed-nowhere"], {}, REPO, 30_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^seed: cannot create \/proc\/seed-nowhere: /);
  });
});
