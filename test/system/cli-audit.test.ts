// Owner changes made with the CLI on the box are audit rows in the same hash chain (issue 9
// item 13): `seed services set/remove` and `seed credentials set/remove`, one row each, with no
// secret in them; the chain still verifies afterwards.
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRecords } from "../../lib/audit/audit-store.ts";
import { homePaths } from "../../scripts/cli/home.ts";
import { withFileDb } from "../../scripts/cli/migrate.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";

describe("CLI owner changes are audited (system)", () => {
  const dir = tempDir("seed cli audit ");
  const home = path.join(dir, "seed home");
  const SECRET = "sk-this-must-never-reach-the-ledger-0123456789";
  const cli = (...args: string[]) => runCli(args, { SEED_HOME: home, CRED: SECRET });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("services and credentials: one row per change, by the CLI, no secret; the chain verifies", async () => {
    expect(cli("init").status).toBe(0);
    for (const args of [
      ["services", "set", "LLM", "--url", "http://127.0.0.1:11434"],
      ["credentials", "set", "openai", "--host", "api.openai.com", "--from-env", "CRED"],
      ["services", "set", "EMBEDDINGS", "--url", "https://api.openai.com", "--credential", "openai"],
      ["services", "remove", "LLM"],
      ["credentials", "remove", "openai"],
    ]) {
      const r = cli(...args);
      expect(r.status, r.stderr).toBe(0);
    }
    const rows = await withFileDb(homePaths(home).db, (db) => readRecords(db, { limit: 1000 }));
    expect(rows.map((r) => [r.action, JSON.parse(r.detail!).target])).toEqual([
      ["services.set", "LLM"],
      ["credentials.set", "openai"],
      ["services.set", "EMBEDDINGS"],
      ["services.remove", "LLM"],
      ["credentials.remove", "openai"],
    ]);
    expect(JSON.parse(rows[1]!.detail!)).toEqual({ target: "openai", host: "api.openai.com", via: "cli" });
    expect(JSON.parse(rows[2]!.detail!)).toEqual({ target: "EMBEDDINGS", url: "https://api.openai.com", credential: "openai", via: "cli" });
    for (const r of rows) {
      expect(r).toMatchObject({ actor: "root", keyId: null });
      expect(JSON.stringify(r)).not.toContain(SECRET);
    }
    const v = cli("audit", "verify");
    expect(v.stdout).toContain("intact");
    expect(v.status).toBe(0);
  }, 300_000); // eight CLI processes, each starting Node and TypeScript on a shared machine
});
