import fs from "node:fs";
import path from "node:path";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDbServerProcess } from "../support/db-server-process.ts";
import type { DbServerProcess } from "../support/db-server-process.ts";

const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  email: text("email").notNull().unique(),
  score: real("score").notNull().default(0),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

const posts = sqliteTable("posts", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  userId: integer("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  title: text("title").notNull(),
});

const MIGRATIONS: { tag: string; when: number; sql: string[] }[] = [
  {
    tag: "0000_init",
    when: 1_700_000_000_000,
    sql: [
      `CREATE TABLE \`users\` (
  \`id\` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  \`email\` text NOT NULL,
  \`score\` real DEFAULT 0 NOT NULL,
  \`created_at\` integer NOT NULL
);\n`,
      "\nCREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);",
    ],
  },
  {
    tag: "0001_posts",
    when: 1_700_000_100_000,
    sql: [
      `CREATE TABLE \`posts\` (
  \`id\` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  \`user_id\` integer NOT NULL,
  \`title\` text NOT NULL,
  FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON UPDATE no action ON DELETE cascade
);\n`,
      `\nCREATE TRIGGER \`posts_title_trim\` AFTER INSERT ON \`posts\` BEGIN
  UPDATE \`posts\` SET \`title\` = trim(new.\`title\`) WHERE \`id\` = new.\`id\`;
END;`,
    ],
  },
];

function writeMigrations(dir: string): string {
  const folder = path.join(dir, "migrations");
  fs.mkdirSync(path.join(folder, "meta"), { recursive: true });
  const entries = MIGRATIONS.map((m, idx) => ({ idx, version: "6", when: m.when, tag: m.tag, breakpoints: true }));
  fs.writeFileSync(path.join(folder, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "sqlite", entries }));
  for (const m of MIGRATIONS) fs.writeFileSync(path.join(folder, `${m.tag}.sql`), m.sql.join("--> statement-breakpoint"));
  return folder;
}

let server: DbServerProcess;
let client: Client;
let db: LibSQLDatabase;
let migrationsFolder: string;

beforeAll(async () => {
  server = await startDbServerProcess();
  client = createClient({ url: server.url, authToken: server.token });
  db = drizzle(client);
  migrationsFolder = writeMigrations(server.dir);
});

afterAll(async () => {
  client?.close();
  await server?.dispose();
});

describe("drizzle-orm/libsql", () => {
  it("applies migrations once, and re-running migrate is a no-op", async () => {
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder });
    const applied = await client.execute("SELECT hash FROM __drizzle_migrations");
    expect(applied.rows).toHaveLength(2);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name");
    expect(tables.rows.map((r) => r[0])).toEqual(expect.arrayContaining(["users", "posts", "posts_title_trim"]));
    // migrate turns foreign keys off for its batch; they must be back on for everyone else
    await expect(client.execute("INSERT INTO posts (user_id, title) VALUES (12345, 'orphan')")).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT", message: expect.stringContaining("FOREIGN KEY constraint failed"),
    });
  });

  it("inserts, selects, updates and deletes through the query builder", async () => {
    const now = new Date(1_750_000_000_123);
    const [alice] = await db.insert(users).values({ email: "alice@example.com", score: 1.5, createdAt: now }).returning();
    expect(alice).toMatchObject({ email: "alice@example.com", score: 1.5 });
    expect(alice?.createdAt.getTime()).toBe(now.getTime());
    await db.insert(users).values([
      { email: "bob@example.com", createdAt: now },
      { email: "carol@example.com", score: 3, createdAt: now },
    ]);
    await db.insert(posts).values({ userId: alice!.id, title: "  hello  " });

    const found = await db.select().from(users).where(eq(users.email, "bob@example.com"));
    expect(found).toHaveLength(1);
    expect(found[0]?.score).toBe(0);

    const joined = await db
      .select({ email: users.email, title: posts.title })
      .from(posts)
      .innerJoin(users, eq(users.id, posts.userId));
    expect(joined).toEqual([{ email: "alice@example.com", title: "hello" }]);

    await db.update(users).set({ score: sql`${users.score} + 10` }).where(eq(users.email, "carol@example.com"));
    const [{ total } = { total: 0 }] = await db.select({ total: sql<number>`sum(${users.score})` }).from(users);
    expect(total).toBe(14.5);

    await db.delete(users).where(eq(users.id, alice!.id));
    expect(await db.select().from(posts)).toEqual([]); // cascaded
    await expect(db.insert(users).values({ email: "bob@example.com", createdAt: now })).rejects.toMatchObject({
      cause: { code: "SQLITE_CONSTRAINT", message: expect.stringContaining("UNIQUE constraint failed") },
    });
  });

  it("commits and rolls back db.transaction, and runs db.batch atomically", async () => {
    const now = new Date();
    await db.transaction(async (tx) => {
      await tx.insert(users).values({ email: "tx-commit@example.com", createdAt: now });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ email: "tx-rollback@example.com", createdAt: now });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await expect(
      db.batch([
        db.insert(users).values({ email: "batch-1@example.com", createdAt: now }),
        db.insert(users).values({ email: "batch-1@example.com", createdAt: now }),
      ]),
    ).rejects.toBeDefined();
    const emails = (await db.select({ email: users.email }).from(users).orderBy(asc(users.email))).map((r) => r.email);
    expect(emails).toContain("tx-commit@example.com");
    expect(emails).not.toContain("tx-rollback@example.com");
    expect(emails).not.toContain("batch-1@example.com");
  });
});
