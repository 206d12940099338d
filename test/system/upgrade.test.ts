// `seed upgrade` of a home made by an older version (test/support/old-home.ts): dry run, a failed
// start rolled back to exactly the backup, then a real upgrade that keeps every key and message.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync } from "node:fs";
import path from "node:path";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.ts";
import { buildOldHome, OLD_COMMIT, OLD_MEMORIES, type OldHome } from "../support/old-home.ts";
import { sql } from "drizzle-orm";
import { indexOptionsOf } from "../../lib/memory/memory-index.ts";
import { VECTOR_INDEX_OPTIONS } from "../../lib/memory/memory-settings.ts";
import { withFileDb } from "../../scripts/cli/migrate.ts";
import { freePort, tempDir } from "../support/seed-home.ts";
import { startSeed, type SeedProcess } from "../support/seed-process.ts";

function migrations(home: string): number {
  const r = runCli(["upgrade", "--home", home, "--dry-run", "--json"]);
  return (JSON.parse(r.stdout) as { pendingMigrations: string[] }).pendingMigrations.length;
}

describe("seed upgrade (system)", () => {
  const dir = tempDir("seed upgrade ");
  let old: OldHome;
  let seed: SeedProcess | undefined;

  beforeAll(async () => {
    old = await buildOldHome(dir);
  }, 300_000);

  afterAll(async () => {
    await seed?.stop();
  });

  it("--dry-run lists the pending migrations and changes nothing", () => {
    const r = runCli(["upgrade", "--home", old.home, "--dry-run", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { pendingMigrations: string[]; steps: string[] };
    // Exactly the libSQL migrations this checkout has and the old commit had not.
    const then = execFileSync("git", ["-C", REPO, "ls-tree", "--name-only", `${OLD_COMMIT}:migrations`], { encoding: "utf8" }).split("\n");
    const now = readdirSync(path.join(REPO, "migrations")).filter((f) => f.endsWith(".sql"));
    expect(plan.pendingMigrations.map((t) => `${t}.sql`).sort()).toEqual(now.filter((f) => !then.includes(f)).sort());
    expect(plan.steps[0]).toMatch(/^back up /);
    expect(migrations(old.home)).toBe(plan.pendingMigrations.length);
    expect(readdirSync(old.home)).not.toContain("backups");
  });

  it("a new version that cannot start is rolled back: the home is the backup again", async () => {
    const copy = path.join(dir, "copy of old home");
    cpSync(old.home, copy, { recursive: true });
    const before = migrations(copy);
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const r = runCli(["upgrade", "--home", copy, "--port", String(taken), "--db-port", String(await freePort()), "--json"], {}, undefined, 300_000);
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout) as { ok: boolean; rolledBack: boolean; error: string };
      expect(report).toMatchObject({ ok: false, rolledBack: true });
      expect(report.error).toContain(`port ${taken}`);
    } finally {
      blocker.close();
    }
    expect(migrations(copy)).toBe(before); // the migrations are undone with the rest
    expect(readdirSync(dir).some((f) => f.startsWith("copy of old home.failed-"))).toBe(true);
  }, 300_000);

  it("upgrades: migrations applied, the new version ready, every key and message kept", async () => {
    const r = runCli(["upgrade", "--home", old.home, "--port", String(await freePort()), "--db-port", String(await freePort()), "--json"], {}, undefined, 300_000);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(migrations(old.home)).toBe(0);
    seed = await startSeed({ home: old.home });
    expect((await fetch(`${seed.url}/v1/owner/whoami`, { headers: { Authorization: `Bearer ${old.rootKey}` } })).status).toBe(200);
    const pulled = await fetch(`${seed.url}/v1/bus/subscriptions/old-sub/pull`, {
      method: "POST",
      headers: { Authorization: `Bearer ${old.agentToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ max: 10 }),
    });
    expect(pulled.status).toBe(200);
    expect(((await pulled.json()) as { messages: { body: { i: number } }[] }).messages.map((m) => m.body.i)).toEqual([0, 1, 2]);
    // Memory: the old index was rebuilt with today's options and still finds what was remembered.
    const recalled = await fetch(`${seed.url}/v1/memory/recall`, {
      method: "POST",
      headers: { Authorization: `Bearer ${old.agentToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ query: "invoices ACME", mode: "vector", k: 3 }),
    });
    expect(((await recalled.json()) as { results: { text: string }[] }).results.map((r) => r.text).sort()).toEqual([...OLD_MEMORIES].sort());
    const ddl = await withFileDb(path.join(old.home, "db", "seed.db"), (db) => db.get<{ sql: string }>(sql`select sql from sqlite_master where name = 'memories_embedding_idx'`));
    expect(indexOptionsOf(ddl!.sql)).toEqual([...VECTOR_INDEX_OPTIONS]);
    const audit = runCli(["audit", "verify", "--home", old.home]);
    expect(audit.status, audit.stdout + audit.stderr).toBe(0);
  }, 300_000);
});
