// No way out of the database: what the database token may not do, judged from a statement's
// tokens before SQLite sees it. The token is a powerful credential, but it must be no more than
// the database: no files (readfile/writefile/fsdir, ATTACH, VACUUM INTO), no extensions, no raw
// pages, no SQL that runs other SQL out of our sight. What SQLite itself can enforce is set on
// every connection as well (connection-pool.ts: trusted_schema=OFF, recursive_triggers=ON; the
// driver leaves load_extension() disabled).
import type { Token } from "./sql-tokenizer.ts";
import { identifierName } from "./sql-tokenizer.ts";

/** Functions and virtual tables that reach outside the database, refused wherever they appear. */
const DENIED_NAMES: ReadonlyMap<string, string> = new Map([
  ["READFILE", "reads files"],
  ["WRITEFILE", "writes files"],
  ["FSDIR", "lists files"],
  ["LSMODE", "belongs to the file-system functions"],
  ["LOAD_EXTENSION", "loads native code"],
  ["SHA3_QUERY", "runs SQL the server cannot check"],
  ["SQLITE_DBPAGE", "reads and writes raw database pages"],
  ["FTS3_TOKENIZER", "registers native tokenizers"],
  ["ZIPFILE", "reads and writes files"],
  ["SQLAR_COMPRESS", "belongs to the archive functions"],
  ["SQLAR_UNCOMPRESS", "belongs to the archive functions"],
]);

/** Names refused only when called, because they are also plausible column names. */
const DENIED_CALLS: ReadonlyMap<string, string> = new Map([
  ["EDIT", "starts an editor"],
  ["EVAL", "runs SQL the server cannot check"],
]);

/** Name prefix of the cipher extension's functions (they change how files are encrypted). */
const DENIED_PREFIX = "SQLITE3MC_";

const STATEMENT_REFUSALS: ReadonlyMap<string, string> = new Map([
  ["ATTACH", "ATTACH opens other files"],
  ["DETACH", "DETACH belongs to ATTACH, which the server refuses"],
]);

function isCall(tokens: readonly Token[], index: number): boolean {
  const next = tokens[index + 1];
  return next !== undefined && next.kind === "other" && next.text === "(";
}

/**
 * Why the server refuses this statement, or undefined. `tokens` is the statement without an
 * EXPLAIN prefix; the whole token list is scanned, so a denied function is found in subqueries,
 * CTEs, trigger and view bodies alike.
 */
export function staticRefusal(tokens: readonly Token[]): string | undefined {
  const first = identifierName(tokens[0]);
  if (first !== undefined && tokens[0]?.kind === "word") {
    const refused = STATEMENT_REFUSALS.get(first);
    if (refused !== undefined) return `${refused}; the server gives no way out of the database`;
    if (first === "VACUUM" && tokens.some((t) => t.kind === "word" && t.text === "INTO")) {
      return "VACUUM INTO writes another file; the server gives no way out of the database";
    }
  }
  for (const [i, token] of tokens.entries()) {
    const name = identifierName(token);
    if (name === undefined) continue;
    const why = DENIED_NAMES.get(name) ?? (isCall(tokens, i) ? DENIED_CALLS.get(name) : undefined);
    if (why !== undefined) return `${name.toLowerCase()} ${why}; the server gives no way out of the database`;
    if (name.startsWith(DENIED_PREFIX)) {
      return `${name.toLowerCase()} changes database encryption; the server refuses it`;
    }
  }
  return undefined;
}
