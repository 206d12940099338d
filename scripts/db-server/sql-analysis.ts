// What the server must know about a statement before running it: whether it may write (and so
// must hold the write lock), whether it opens a read-only transaction, whether it changes
// connection state that must not leak to the next stream, and how its parameters are numbered.
import { splitStatements } from "./sql-tokenizer.ts";
import type { Token } from "./sql-tokenizer.ts";

/**
 * - `read`: cannot write (SELECT, VALUES, EXPLAIN, WITH … SELECT).
 * - `begin-readonly`: the client's `BEGIN TRANSACTION READONLY` (SQLite reads READONLY as a
 *   transaction name, so the server enforces it).
 * - `end`: COMMIT / END / ROLLBACK (not ROLLBACK TO): needs no lock of its own.
 * - `write`: everything else, including any other BEGIN.
 */
export type StatementKind = "read" | "begin-readonly" | "end" | "write";

export interface StatementInfo {
  readonly kind: StatementKind;
  readonly isExplain: boolean;
  /** Changes per-connection state (PRAGMA, ATTACH, DETACH, TEMP objects). */
  readonly dirtiesConnection: boolean;
  /** Highest parameter index (sqlite3_bind_parameter_count). */
  readonly paramCount: number;
  /** Name of parameter i+1 including its prefix (`:a`, `?3`), or null for `?` and unused slots. */
  readonly paramNames: readonly (string | null)[];
  /** Whether parameter i+1 occurs in the text (a `?3` alone leaves 1 and 2 unused). */
  readonly paramUsed: readonly boolean[];
}

export interface SqlAnalysis {
  readonly statements: readonly StatementInfo[];
}

const WRITE_VERBS = new Set(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"]);
const STATE_VERBS = new Set(["PRAGMA", "ATTACH", "DETACH"]);

function word(tokens: readonly Token[], index: number): string | undefined {
  const token = tokens[index];
  return token !== undefined && token.kind === "word" ? token.text : undefined;
}

// `WITH` may lead either a query or a DML statement; a write verb used as a statement (not as a
// function such as replace(…)) anywhere in it makes it a write. Conservative by design.
function withWrites(tokens: readonly Token[]): boolean {
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined || token.kind !== "word" || !WRITE_VERBS.has(token.text)) continue;
    const next = tokens[i + 1];
    if (next !== undefined && next.kind === "other" && next.text === "(") continue;
    return true;
  }
  return false;
}

function isBeginReadonly(tokens: readonly Token[]): boolean {
  // BEGIN [TRANSACTION] READONLY, nothing else
  let k = 1;
  if (word(tokens, k) === "TRANSACTION") k++;
  return word(tokens, k) === "READONLY" && tokens.length === k + 1;
}

function classify(tokens: readonly Token[]): { kind: StatementKind; isExplain: boolean } {
  const first = word(tokens, 0);
  switch (first) {
    case "SELECT":
    case "VALUES":
      return { kind: "read", isExplain: false };
    case "EXPLAIN":
      return { kind: "read", isExplain: true };
    case "WITH":
      return { kind: withWrites(tokens) ? "write" : "read", isExplain: false };
    case "BEGIN":
      return { kind: isBeginReadonly(tokens) ? "begin-readonly" : "write", isExplain: false };
    case "COMMIT":
    case "END":
      return { kind: "end", isExplain: false };
    case "ROLLBACK":
      return { kind: tokens.some((t) => t.kind === "word" && t.text === "TO") ? "write" : "end", isExplain: false };
    default:
      return { kind: "write", isExplain: false };
  }
}

function dirties(tokens: readonly Token[]): boolean {
  const first = word(tokens, 0);
  if (first !== undefined && STATE_VERBS.has(first)) return true;
  const second = word(tokens, 1);
  return first === "CREATE" && (second === "TEMP" || second === "TEMPORARY");
}

/** Numbers parameters exactly as SQLite does: `?` takes the next index, `?NNN` its own, and a
 * named parameter reuses the index of its first occurrence. */
function numberParams(tokens: readonly Token[]): Pick<StatementInfo, "paramCount" | "paramNames" | "paramUsed"> {
  const names: (string | null)[] = [];
  const used: boolean[] = [];
  const byName = new Map<string, number>();
  let count = 0;
  const mark = (index: number, name: string | null): void => {
    while (names.length < index) {
      names.push(null);
      used.push(false);
    }
    if (name !== null) names[index - 1] = name;
    used[index - 1] = true;
    if (index > count) count = index;
  };
  for (const token of tokens) {
    if (token.kind !== "param") continue;
    const text = token.text;
    if (text === "?") {
      mark(count + 1, null);
    } else if (text.startsWith("?")) {
      const index = Number(text.slice(1));
      if (!Number.isSafeInteger(index) || index < 1 || index > 32766) continue; // SQLite rejects it
      byName.set(text, index);
      mark(index, text);
    } else {
      const known = byName.get(text);
      const index = known ?? count + 1;
      byName.set(text, index);
      mark(index, text);
    }
  }
  return { paramCount: count, paramNames: names, paramUsed: used };
}

function analyzeUncached(sql: string): SqlAnalysis {
  const statements = splitStatements(sql).map((statement): StatementInfo => {
    const { kind, isExplain } = classify(statement.tokens);
    return { kind, isExplain, dirtiesConnection: dirties(statement.tokens), ...numberParams(statement.tokens) };
  });
  return { statements };
}

// The same few statement texts arrive over and over; lexing them once keeps the hot path cheap.
const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 16 * 1024;
const cache = new Map<string, SqlAnalysis>();

export function analyzeSql(sql: string): SqlAnalysis {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const analysis = analyzeUncached(sql);
  if (sql.length <= CACHEABLE_LENGTH) {
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(sql, analysis);
  }
  return analysis;
}
