// The console's sign-in sessions (issue 14): one row per browser session, bound to the key that
// signed in. Only the sha256 of the session id is stored; the id itself lives in an HttpOnly cookie.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    /** sha256 (hex) of the session id the cookie holds. */
    idHash: text("id_hash").primaryKey(),
    /** The key that signed in: its revocation or expiry ends the session at its next request. */
    keyId: text("key_id").notNull(),
    createdAt: integer("created_at").notNull(), // ms since epoch
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("console_sessions_key_idx").on(t.keyId)],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
