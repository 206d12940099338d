// The Bus object's own SQLite schema. Applied in the constructor; every statement is idempotent.
export const BUS_SCHEMA = [
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
  // One row per message handed out and not yet acknowledged: the lease.
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
