// The CLI against a running seed: status, agents, services, credentials.
import { spawnSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { startSeed, type SeedProcess } from "../support/seed-process.ts";

describe("seed CLI against a running seed (system)", () => {
  let seed: SeedProcess;
  beforeAll(async () => {
    seed = await startSeed();
  }, 120_000);
  afterAll(async () => {
    await seed?.stop();
  });
  const cli = (...args: string[]) => runCli([...args, "--home", seed.home]);

  it("status reports both processes, the seed id and readiness", () => {
    const r = cli("status", "--json");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { running: boolean; ready: boolean; seedId: string; processes: { name: string; alive: boolean }[]; httpUrl: string; databaseBytes: number };
    expect(s).toMatchObject({ running: true, ready: true, httpUrl: seed.url });
    expect(s.seedId).toMatch(/^seed-/);
    expect(s.processes.map((p) => [p.name, p.alive])).toEqual([["seed", true], ["libsql", true], ["workerd", true]]);
    expect(s.databaseBytes).toBeGreaterThan(0);
    expect(cli("status").stdout).toContain("ready:    yes");
  });

  it("agents add / list / remove, with the token shown once and revoked on remove", async () => {
    const add = cli("agents", "add", "billing bot", "--capability", "invoices", "--capability", "email", "--json");
    expect(add.status, add.stderr).toBe(0);
    const a = JSON.parse(add.stdout) as { id: string; token: string; capabilities: string[] };
    expect(a.capabilities).toEqual(["invoices", "email"]);
    const who = await fetch(`${seed.url}/v1/bus/whoami`, { headers: { Authorization: `Bearer ${a.token}` } });
    expect(who.status).toBe(200);
    const list = cli("agents", "list");
    expect(list.stdout).toContain(a.id);
    expect(list.stdout).toContain("billing bot");
    expect(list.stdout).not.toContain(a.token);
    expect(cli("agents", "remove", a.id).status).toBe(0);
    expect((await fetch(`${seed.url}/v1/bus/whoami`, { headers: { Authorization: `Bearer ${a.token}` } })).status).toBe(401);
    const again = cli("agents", "remove", a.id);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^seed: 404 agent_not_found: no agent "[^"]+" \(see seed agents list\)$/m);
  });

  it("a command that needs a running seed says so in one line", () => {
    const r = runCli(["agents", "list", "--home", path.join(seed.home, "elsewhere")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("no seed is running");
  });

  it("credentials come from stdin, are stored encrypted and never printed", () => {
    const secret = "sk-live-do-not-leak-0123456789";
    const main = path.resolve(import.meta.dirname, "../../scripts/cli/main.ts");
    const set = spawnSync(process.execPath, [...process.execArgv, main, "credentials", "set", "llm-key", "--host", "llm.example", "--home", seed.home], { input: secret, encoding: "utf8" });
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(secret);
    const list = cli("credentials", "list", "--json");
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: "llm-key", host: "llm.example" })]);
    expect(list.stdout).not.toContain(secret);
    for (const f of ["db/seed.db", "db/seed.db-wal"]) {
      let bytes = Buffer.alloc(0);
      try {
        bytes = readFileSync(path.join(seed.home, f));
      } catch {}
      expect(bytes.includes(secret)).toBe(false);
      // Not merely encoded: neither base64 nor hex of the secret is there either.
      expect(bytes.includes(Buffer.from(secret).toString("base64"))).toBe(false);
      expect(bytes.includes(Buffer.from(secret).toString("hex"))).toBe(false);
    }
    // Encrypted: the stored row opens with master.key as AES-256-GCM (node:crypto, not the
    // seed's own code), bound to its name and host; a flipped bit does not open.
    const db = new Database(path.join(seed.home, "db", "seed.db"), { readonly: true });
    const row = db.prepare("SELECT ciphertext FROM credentials WHERE name = ?").get("llm-key") as { ciphertext: string };
    db.close();
    const master = readFileSync(path.join(seed.home, "master.key"));
    expect(master.length).toBe(32);
    const open = (raw: Buffer) => {
      const decipher = createDecipheriv("aes-256-gcm", master, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from("seed-credential\0llm-key\0llm.example"));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    };
    const raw = Buffer.from(row.ciphertext, "base64");
    expect(open(raw)).toBe(secret);
    raw[raw.length - 1]! ^= 1;
    expect(() => open(raw)).toThrow();
  });

  it("services: only valid names and URLs without secrets are accepted", () => {
    expect(cli("services", "set", "LLM", "--url", "http://127.0.0.1:9").status).toBe(0);
    expect(JSON.parse(cli("services", "list", "--json").stdout)).toEqual({ LLM: { url: "http://127.0.0.1:9" } });
    const bad = cli("services", "set", "LLM", "--url", "http://user:pw@example.com");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("never in a URL");
    expect(cli("services", "set", "LIBSQL", "--url", "http://127.0.0.1:1").stderr).toContain("reserved");
    expect(cli("services", "remove", "LLM").status).toBe(0);
  });
});
