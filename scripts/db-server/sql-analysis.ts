// What the server must know about a statement before running it: whether it may write (and so
// must hold the write lock), whether it opens a read-only transaction, whether it changes
// connection state that must not leak to the next stream, whether the server refuses it, which
// schema object it changes, and how its parameters are numbered. The native driver exposes
// neither sqlite3_stmt_readonly() nor a usable authorizer (libsql 0.5: all-or-nothing per
// table), so this is read from the tokens; where unsure it errs towards "write".
import { pragmaUse } from "./pragma-rules.ts";
import { staticRefusal } from "./sql-policy.ts";
import { identifierName, splitStatements } from "./sql-tokenizer.ts";
import type { Token } from "./sql-tokenizer.ts";
import { textProblem } from "./sql-values.ts";

/**
 * - `read`: cannot write (SELECT, VALUES, WITH … SELECT, EXPLAIN, introspection PRAGMAs).
 * - `begin-readonly`: the client's `BEGIN TRANSACTION READONLY` (SQLite reads READONLY as a
 *   transaction name, so the server enforces it).
 * - `end`: COMMIT / END / ROLLBACK (not ROLLBACK TO): needs no lock of its own.
 * - `write`: everything else, including any other BEGIN.
 */
export type StatementKind = "read" | "begin-readonly" | "end" | "write";

/** A schema change the append-only guard must check against the live schema. */
export interface SchemaTarget {
  readonly action: "drop-table" | "alter-table" | "drop-trigger" | "create-trigger";
  /** Upper-case name of the table (or, for drop-trigger, of the trigger). */
  readonly name: string;
}

export interface StatementInfo {
  readonly kind: StatementKind;
  readonly isExplain: boolean;
  /** A plain INSERT/UPDATE/DELETE/REPLACE (possibly behind WITH): may share a group commit. */
  readonly isDml: boolean;
  /** Changes per-connection state (a PRAGMA setting, TEMP objects). */
  readonly dirtiesConnection: boolean;
  /** CREATE, DROP or ALTER: cached result columns may no longer hold. */
  readonly changesSchema: boolean;
  /** Why the server refuses to run it, or undefined. */
  readonly refusal: string | undefined;
  readonly schemaTarget: SchemaTarget | undefined;
  /** Highest parameter index (sqlite3_bind_parameter_count). */
  readonly paramCount: number;
  /** Name of parameter i+1 including its prefix (`:a`, `?3`), or null for `?` and unused slots. */
  readonly paramNames: readonly (string | null)[];
  /** Whether parameter i+1 occurs in the text (a `?3` alone leaves 1 and 2 unused). */
  readonly paramUsed: readonly boolean[];
}

export interface SqlStatement {
  /** The statement's text without the terminating semicolon (as SQLite would prepare it). */
  readonly text: string;
  readonly info: StatementInfo;
}

export interface SqlAnalysis {
  /** Why the text cannot reach SQLite unchanged (a NUL ends it early for the driver). */
  readonly problem: string | undefined;
  readonly statements: readonly SqlStatement[];
}

const DML_VERBS = new Set(["INSERT", "UPDATE", "DELETE", "REPLACE"]);
const MAIN_VERBS = new Set(["SELECT", "VALUES", ...DML_VERBS]);

function word(tokens: readonly Token[], index: number): string | undefined {
  const token = tokens[index];
  return token !== undefined && token.kind === "word" ? token.text : undefined;
}

function isOther(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === "other" && token.text === text;
}

/** The verb of the statement a WITH clause leads to: the first of SELECT, VALUES, INSERT,
 * UPDATE, DELETE, REPLACE outside the parentheses of the common table expressions. */
function mainVerbAfterWith(tokens: readonly Token[]): string | undefined {
  let depth = 0;
  for (const token of tokens.slice(1)) {
    if (isOther(token, "(")) depth++;
    else if (isOther(token, ")")) depth--;
    else if (depth === 0 && token.kind === "word" && MAIN_VERBS.has(token.text)) return token.text;
  }
  return undefined;
}

function isBeginReadonly(tokens: readonly Token[]): boolean {
  // BEGIN [TRANSACTION] READONLY, nothing else
  let k = 1;
  if (word(tokens, k) === "TRANSACTION") k++;
  return word(tokens, k) === "READONLY" && tokens.length === k + 1;
}

/** `[schema .] name` starting at `index`: the upper-case name and the index after it. */
function qualifiedName(tokens: readonly Token[], index: number): { name: string; next: number } | undefined {
  const first = identifierName(tokens[index]);
  if (first === undefined) return undefined;
  if (isOther(tokens[index + 1], ".")) {
    const second = identifierName(tokens[index + 2]);
    return second === undefined ? undefined : { name: second, next: index + 3 };
  }
  return { name: first, next: index + 1 };
}

/** Skips the `IF EXISTS` of a DROP at `index` (SQLite's grammar has nothing else that starts with IF there). */
function skipIfExists(tokens: readonly Token[], index: number): number {
  return word(tokens, index) === "IF" ? index + 2 : index;
}

function schemaTargetOf(tokens: readonly Token[]): SchemaTarget | undefined {
  const first = word(tokens, 0);
  if (first === "DROP" && (word(tokens, 1) === "TABLE" || word(tokens, 1) === "TRIGGER")) {
    const target = qualifiedName(tokens, skipIfExists(tokens, 2));
    if (target === undefined) return undefined;
    return { action: word(tokens, 1) === "TABLE" ? "drop-table" : "drop-trigger", name: target.name };
  }
  if (first === "ALTER" && word(tokens, 1) === "TABLE") {
    const target = qualifiedName(tokens, 2);
    return target === undefined ? undefined : { action: "alter-table", name: target.name };
  }
  if (first === "CREATE") {
    let k = 1;
    if (word(tokens, k) === "TEMP" || word(tokens, k) === "TEMPORARY") k++;
    if (word(tokens, k) !== "TRIGGER") return undefined;
    // The table follows the first ON before the body ([IF NOT EXISTS] and the trigger's own name are never a bare ON).
    for (let i = k + 1; i < tokens.length; i++) {
      if (word(tokens, i) === "BEGIN") break;
      if (word(tokens, i) === "ON") {
        const table = qualifiedName(tokens, i + 1);
        return table === undefined ? undefined : { action: "create-trigger", name: table.name };
      }
    }
  }
  return undefined;
}

interface Classified {
  kind: StatementKind;
  isDml: boolean;
  dirtiesConnection: boolean;
  refusal?: string;
}

function classifyPragma(tokens: readonly Token[]): Classified {
  const target = qualifiedName(tokens, 1);
  if (target === undefined) return { kind: "write", isDml: false, dirtiesConnection: true };
  const after = tokens[target.next];
  const setting = isOther(after, "=") || isOther(after, "(");
  const use = pragmaUse(target.name, setting);
  switch (use.kind) {
    case "read":
      return { kind: "read", isDml: false, dirtiesConnection: false };
    case "connection":
      return { kind: "read", isDml: false, dirtiesConnection: true };
    case "write":
      return { kind: "write", isDml: false, dirtiesConnection: false };
    case "refused":
      return { kind: "write", isDml: false, dirtiesConnection: true, refusal: use.reason };
  }
}

function classify(tokens: readonly Token[]): Classified {
  const plain = (kind: StatementKind): Classified => ({ kind, isDml: false, dirtiesConnection: false });
  const first = word(tokens, 0);
  switch (first) {
    case "SELECT":
    case "VALUES":
      return plain("read");
    case "WITH": {
      const verb = mainVerbAfterWith(tokens);
      if (verb === "SELECT" || verb === "VALUES") return plain("read");
      return { kind: "write", isDml: verb !== undefined, dirtiesConnection: false };
    }
    case "INSERT":
    case "UPDATE":
    case "DELETE":
    case "REPLACE":
      return { kind: "write", isDml: true, dirtiesConnection: false };
    case "PRAGMA":
      return classifyPragma(tokens);
    case "BEGIN":
      return plain(isBeginReadonly(tokens) ? "begin-readonly" : "write");
    case "COMMIT":
    case "END":
      return plain("end");
    case "ROLLBACK":
      return plain(tokens.some((t) => t.kind === "word" && t.text === "TO") ? "write" : "end");
    case "CREATE": {
      const second = word(tokens, 1);
      return { kind: "write", isDml: false, dirtiesConnection: second === "TEMP" || second === "TEMPORARY" };
    }
    default:
      return plain("write");
  }
}

/** Numbers parameters exactly as SQLite does (sqlite3ExprAssignVarNumber): `?` takes the next
 * index; `?NNN` takes index NNN and names it only if that slot has no name yet; a named
 * parameter reuses the index of its first occurrence or takes the next one. */
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
    if (name !== null && names[index - 1] === null) {
      names[index - 1] = name;
      byName.set(name, index);
    }
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
      if (index < 1 || index > 32766) continue; // SQLite rejects it (the tokenizer gives digits only)
      mark(index, text);
    } else {
      mark(byName.get(text) ?? count + 1, text);
    }
  }
  return { paramCount: count, paramNames: names, paramUsed: used };
}

function explainPrefixLength(tokens: readonly Token[]): number {
  if (word(tokens, 0) !== "EXPLAIN") return 0;
  return word(tokens, 1) === "QUERY" && word(tokens, 2) === "PLAN" ? 3 : 1;
}

function analyzeStatement(tokens: readonly Token[]): StatementInfo {
  const explain = explainPrefixLength(tokens);
  const inner = tokens.slice(explain);
  const classified = classify(inner);
  const refusal = staticRefusal(inner) ?? classified.refusal;
  const params = numberParams(tokens);
  if (explain > 0) {
    // EXPLAIN compiles the statement but never runs it: a read that changes nothing.
    return { kind: "read", isExplain: true, isDml: false, dirtiesConnection: false, changesSchema: false, refusal, schemaTarget: schemaTargetOf(inner), ...params };
  }
  const first = word(inner, 0);
  const changesSchema = first === "CREATE" || first === "DROP" || first === "ALTER";
  return { ...classified, isExplain: false, changesSchema, refusal, schemaTarget: schemaTargetOf(inner), ...params };
}

function analyzeUncached(sql: string): SqlAnalysis {
  const problem = textProblem(sql);
  return {
    problem: problem === undefined ? undefined : `The SQL text ${problem}`,
    statements: splitStatements(sql).map((s) => ({ text: s.text, info: analyzeStatement(s.tokens) })),
  };
}

// The same few statement texts arrive over and over; lexing them once keeps the hot path cheap.
const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 4 * 1024;
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
