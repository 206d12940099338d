// The Bus object's own SQLite schema, as versioned migrations (lib/do-migrations.ts): a seed that
// already has data is brought forward one version at a time, in a transaction each.
import type { Migration, MigrationSql } from "../../lib/do-migrations.ts";

/** Version 1 is the schema before versioning; its statements are idempotent, so old seeds pass through. */
const V1 = [
  `CREATE TABLE IF NOT EXISTS topics (
     name TEXT PRIMARY KEY,
     last_seq INTEGER NOT NULL DEFAULT 0,
     max_age_ms INTEGER,
     max_messages INTEGER
   )`,
  `CREATE TABLE IF NOT EXISTS messages (
     topic TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL,
     sender TEXT NOT NULL,
     body TEXT NOT NULL,
     headers TEXT,
     published_at INTEGER NOT NULL,
     PRIMARY KEY (topic, seq)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
     topic TEXT NOT NULL,
     key TEXT NOT NULL,
     id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (topic, key)
   ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idempotency_keys_age ON idempotency_keys (created_at)`,
  `CREATE TABLE IF NOT EXISTS subscriptions (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     topic TEXT NOT NULL,
     ack_deadline_ms INTEGER NOT NULL,
     max_deliveries INTEGER NOT NULL,
     next_seq INTEGER NOT NULL,
     dead_letters INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS subscriptions_topic ON subscriptions (topic)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
     sub TEXT NOT NULL,
     seq INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     visible_at INTEGER NOT NULL,
     ack_id TEXT,
     PRIMARY KEY (sub, seq)
   ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (sub, visible_at)`,
  `CREATE INDEX IF NOT EXISTS deliveries_visible ON deliveries (visible_at)`,
];

/**
 * Version 2 (issue 9 items 1, 10, 11): subscription names belong to their owner — (owner, name)
 * is unique, rows are referred to by id, an inbox is the owner's subscription named `inbox` — and
 * the Bus remembers revoked keys and the agents that want an inbox wake-up.
 */
function v2(sql: MigrationSql): void {
  sql.exec(`CREATE TABLE subscriptions_v2 (
     id INTEGER PRIMARY KEY,
     owner TEXT NOT NULL,
     name TEXT NOT NULL,
     topic TEXT NOT NULL,
     ack_deadline_ms INTEGER NOT NULL,
     max_deliveries INTEGER NOT NULL,
     next_seq INTEGER NOT NULL,
     dead_letters INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     UNIQUE (owner, name)
   )`);
  sql.exec(`CREATE TABLE deliveries_v2 (
     sub INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     visible_at INTEGER NOT NULL,
     ack_id TEXT,
     PRIMARY KEY (sub, seq)
   ) WITHOUT ROWID`);
  // Old inbox rows were named `inbox:<agent id>`; every other name keeps its owner.
  const old = sql.exec("SELECT * FROM subscriptions").toArray() as { name: string; owner: string; topic: string; ack_deadline_ms: number; max_deliveries: number; next_seq: number; dead_letters: number; created_at: number }[];
  for (const s of old) {
    const inbox = s.name.startsWith("inbox:");
    const id = sql.exec(
      `INSERT INTO subscriptions_v2 (owner, name, topic, ack_deadline_ms, max_deliveries, next_seq, dead_letters, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      inbox ? s.name.slice("inbox:".length) : s.owner,
      inbox ? "inbox" : s.name,
      s.topic,
      s.ack_deadline_ms,
      s.max_deliveries,
      s.next_seq,
      s.dead_letters,
      s.created_at,
    ).toArray()[0]!.id as number;
    sql.exec("INSERT INTO deliveries_v2 (sub, seq, attempts, visible_at, ack_id) SELECT ?, seq, attempts, visible_at, ack_id FROM deliveries WHERE sub = ?", id, s.name);
  }
  for (const stmt of [
    "DROP TABLE deliveries",
    "DROP TABLE subscriptions",
    "ALTER TABLE subscriptions_v2 RENAME TO subscriptions",
    "ALTER TABLE deliveries_v2 RENAME TO deliveries",
    "CREATE INDEX subscriptions_topic ON subscriptions (topic)",
    "CREATE INDEX deliveries_due ON deliveries (sub, visible_at)",
    `CREATE TABLE revoked_keys (key_id TEXT PRIMARY KEY, kind TEXT NOT NULL, revoked_at INTEGER NOT NULL) WITHOUT ROWID`,
    // Seeds that ran the first inbox wake-up (before versioning) have this table already.
    `CREATE TABLE IF NOT EXISTS inbox_watchers (agent_id TEXT PRIMARY KEY)`,
  ]) {
    sql.exec(stmt);
  }
}

export const BUS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "topics, messages, subscriptions, deliveries", up: V1 },
  { version: 2, name: "subscriptions per owner, revoked keys, inbox watchers", up: v2 },
  {
    version: 3,
    name: "delivered and acked totals for GET /metrics",
    up: [
      // Idempotent, like version 1: a store rebuilt below version 3 may still hold the table.
      `CREATE TABLE IF NOT EXISTS bus_counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID`,
      `INSERT OR IGNORE INTO bus_counters (name, n) VALUES ('delivered', 0), ('acked', 0)`,
    ],
  },
];
