// Console sign-in sessions. The key is typed once into a form and exchanged for a random session id
// in an HttpOnly, SameSite=Strict cookie (Secure over TLS); libSQL keeps only sha256(id) and the key
// it is bound to. Every request re-reads the session joined with its key: a revoked or expired key
// ends the session there and then (and revokeKeys deletes its rows: workers/auth/live-sessions.ts).
// The CSRF token is derived from the session id, which only the HttpOnly cookie holds.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { and, eq, inArray, lt } from "drizzle-orm";
import { keys } from "../../lib/db/schema.ts";
import { consoleSessions } from "../../lib/db/schema-console.ts";
import type { Db } from "../../lib/db/client.ts";
import { digestsEqual, randomHex, sha256Hex } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import type { Caller } from "../auth/caller.ts";

export const SESSION_COOKIE = "seed_console";
export const COOKIE_PATH = "/console";
/** A session lasts at most 12 hours; the key's own expiry or revocation ends it sooner. */
export const SESSION_MS = 12 * 3_600_000;

export type ConsoleSession = { idHash: string; caller: Caller; csrf: string };

const overTls = (c: Context<AppEnv>) => new URL(c.req.url).protocol === "https:" || c.req.header("X-Forwarded-Proto") === "https";

export const csrfOf = (sessionId: string) => sha256Hex(`seed console csrf\0${sessionId}`);

/** Opens a session for a verified caller and sets its cookie. */
export async function openSession(c: Context<AppEnv>, caller: Caller, now = Date.now()): Promise<void> {
  const id = randomHex(32);
  const expiresAt = caller.expiresAt === null ? now + SESSION_MS : Math.min(now + SESSION_MS, caller.expiresAt);
  const db = c.var.db;
  await db.batch([
    db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)), // expired rows of anyone
    db.insert(consoleSessions).values({ idHash: await sha256Hex(id), keyId: caller.keyId, createdAt: now, expiresAt }),
  ]);
  setCookie(c, SESSION_COOKIE, id, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: overTls(c), maxAge: Math.ceil((expiresAt - now) / 1000) });
}

export type SessionState = { session: ConsoleSession } | { session: null; ended: boolean };

/**
 * The session this request's cookie names, if it and its key are still good. `ended` says a cookie
 * was presented but its session is over (key revoked or expired, session expired or signed out).
 */
export async function readSession(c: Context<AppEnv>, now = Date.now()): Promise<SessionState> {
  const id = getCookie(c, SESSION_COOKIE);
  if (!id) return { session: null, ended: false };
  if (!/^[a-f0-9]{64}$/.test(id)) return endCookie(c);
  const idHash = await sha256Hex(id);
  const row = await c.var.db
    .select({ expiresAt: consoleSessions.expiresAt, key: keys })
    .from(consoleSessions)
    .innerJoin(keys, eq(keys.id, consoleSessions.keyId))
    .where(eq(consoleSessions.idHash, idHash))
    .get();
  const k = row?.key;
  if (!row || !k || row.expiresAt <= now || k.revokedAt !== null || (k.expiresAt !== null && k.expiresAt <= now)) {
    if (row) await c.var.db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
    return endCookie(c);
  }
  return { session: { idHash, csrf: await csrfOf(id), caller: { kind: k.kind, keyId: k.id, name: k.name, scopes: k.scopes, expiresAt: k.expiresAt } } };
}

function endCookie(c: Context<AppEnv>): SessionState {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: overTls(c) });
  return { session: null, ended: true };
}

export async function closeSession(c: Context<AppEnv>, session: ConsoleSession): Promise<void> {
  await c.var.db.delete(consoleSessions).where(eq(consoleSessions.idHash, session.idHash));
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: overTls(c) });
}

export function csrfMatches(session: ConsoleSession, presented: unknown): boolean {
  return typeof presented === "string" && digestsEqual(presented, session.csrf);
}

/** For revokeKeys (workers/auth/live-sessions.ts): deletes every console session of these keys. */
export async function closeKeySessions(db: Db, keyIds: string[]): Promise<number> {
  if (keyIds.length === 0) return 0;
  const gone = await db.delete(consoleSessions).where(and(inArray(consoleSessions.keyId, keyIds))).returning({ idHash: consoleSessions.idHash });
  return gone.length;
}
