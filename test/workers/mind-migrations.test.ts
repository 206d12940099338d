// The Mind's schema is versioned (lib/do-migrations.ts): a seed whose Mind was made by the first
// build (schema version 1, with its data) is brought to the current version at start, its tasks
// keep their history, and what changed (finished_at, origin, subsystems to evaluate) is filled in.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIND_MIGRATIONS } from "../../durable/mind/mind-schema.ts";
import type { Mind } from "../../durable/mind/mind.ts";
import { migrate, schemaVersion } from "../../lib/do-migrations.ts";
import { bindings } from "../support/worker-fetch.ts";

describe("the Mind's schema migrations", () => {
  it("a version-1 Mind with data reaches the current version; finished tasks get finished_at, imported ones their origin", async () => {
    const stub = bindings.MIND.get(bindings.MIND.idFromName("legacy-v1"));
    const out = await runInDurableObject(stub, (_m: Mind, ctx) => {
      const sql = ctx.storage.sql;
      // Make this object's database what the first build left: drop everything, apply version 1 only.
      for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()) sql.exec(`DROP TABLE IF EXISTS "${name}"`);
      migrate(ctx.storage, MIND_MIGRATIONS.slice(0, 1));
      const v1 = schemaVersion(sql);
      sql.exec("INSERT INTO tasks (id, title, capability, source, priority, created_at, state, attempts, done_at, updated_at) VALUES ('old-done', 't', 'billing', 'erp', 5, 1000, 'done', 1, 5000, 5000)");
      sql.exec("INSERT INTO tasks (id, title, capability, source, priority, created_at, state, attempts, updated_at) VALUES ('old-failed', 't', 'billing', 'erp', 5, 1000, 'failed', 1, 7000)");
      sql.exec("INSERT INTO tasks (id, title, capability, source, priority, created_at, state, attempts, assignee, updated_at) VALUES ('old-open', 't', 'billing', 'import', 5, 1000, 'claimed', 1, 'bot', 7000)");
      sql.exec("INSERT INTO task_events (task_id, at, state, actor) VALUES ('old-open', 1000, 'open', 'import')");
      sql.exec("INSERT INTO subsystems (key, kind, name, open, stalled, updated_at) VALUES ('capability:billing', 'capability', 'billing', 1, 1, 1)");
      sql.exec(`INSERT INTO settings (key, value) VALUES ('ledgerCursor', '3')`);
      const applied = migrate(ctx.storage, MIND_MIGRATIONS);
      const rows = sql.exec<{ id: string; finished_at: number | null; origin: string }>("SELECT id, finished_at, origin FROM tasks ORDER BY id").toArray();
      const dirty = sql.exec<{ key: string; dirty: number }>("SELECT key, dirty FROM subsystems ORDER BY key").toArray();
      const cursor = sql.exec("SELECT * FROM settings WHERE key = 'ledgerCursor'").toArray();
      const indexes = sql.exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL ORDER BY name").toArray();
      return { v1, applied, version: schemaVersion(sql), rows, dirty, cursor, indexes, again: migrate(ctx.storage, MIND_MIGRATIONS) };
    });
    expect(out.v1).toBe(1);
    expect(out.applied).toEqual([2, 3, 4, 5]);
    // Every index over tasks is partial: a finished task (nearly all of an import) enters the four
    // that read outcomes and none of those over open work — what keeps an import's inserts cheap.
    expect(out.indexes.filter((i) => !/ WHERE /.test(i.sql)).map((i) => i.name)).toEqual([]);
    expect(out.indexes.filter((i) => i.sql.endsWith("WHERE finished_at IS NOT NULL")).map((i) => i.name)).toEqual(["tasks_assignee_finished", "tasks_capability_finished", "tasks_finished", "tasks_source_finished"]);
    expect(out.version).toBe(MIND_MIGRATIONS.length);
    expect(out.again).toEqual([]);
    expect(out.rows).toEqual([
      { id: "old-done", finished_at: 5000, origin: "api" },
      { id: "old-failed", finished_at: 7000, origin: "api" },
      { id: "old-open", finished_at: null, origin: "import" },
    ]);
    // Every subsystem the ledger knows is evaluated at the next cycle; the old cursor is gone.
    expect(out.dirty).toEqual([
      { key: "agent:bot", dirty: 1 },
      { key: "capability:billing", dirty: 1 },
      { key: "source:erp", dirty: 1 },
      { key: "source:import", dirty: 1 },
    ]);
    expect(out.cursor).toEqual([]);
  });

  it("refuses a database newer than the code", async () => {
    const stub = bindings.MIND.get(bindings.MIND.idFromName("from-the-future"));
    const message = await runInDurableObject(stub, (_m: Mind, ctx) => {
      ctx.storage.sql.exec("UPDATE schema_version SET version = 99");
      try {
        migrate(ctx.storage, MIND_MIGRATIONS);
        return "migrated";
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(message).toMatch(/schema version 99, newer than this code/);
  });
});
