import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
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
    const r1 = JSON.parse(first.stdout) as { seedId: string; created: string[]; rootKey?: string };
    expect(r1.seedId).toMatch(/^seed-[a-z2-7]{26}$/);
    expect(r1.created).toEqual(expect.arrayContaining(["master.key", "identity", "keys/db.token", "keys/root.key"]));
    expect(r1.rootKey).toMatch(/^seed_root_[a-z0-9]{16}_[a-f0-9]{64}$/);
    expect(readFileSync(path.join(home, "keys/root.key"), "utf8").trim()).toBe(r1.rootKey);
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
    const r = JSON.parse(runCli(["init", "--home", home, "--json"]).stdout) as { rootKey: string };
    const secret = r.rootKey.split("_")[3]!;
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
