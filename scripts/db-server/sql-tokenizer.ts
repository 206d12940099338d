// A lexer just precise enough to find statement boundaries, leading keywords and bind parameters
// in SQLite SQL. It never judges validity: anything it does not understand is passed on for
// SQLite itself to reject, so erring on the side of "one more token" is always safe.

export type TokenKind = "word" | "quoted" | "string" | "param" | "semi" | "other";

export interface Token {
  readonly kind: TokenKind;
  /** Upper-cased text for words (keywords or bare identifiers), the raw text otherwise. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface SqlStatementText {
  readonly text: string;
  /** Tokens of the statement, without the terminating semicolon. */
  readonly tokens: readonly Token[];
}

const CH_NEWLINE = 10;
const CH_SPACE = 32;
const CH_DQUOTE = 34;
const CH_DOLLAR = 36;
const CH_SQUOTE = 39;
const CH_STAR = 42;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_SLASH = 47;
const CH_COLON = 58;
const CH_SEMI = 59;
const CH_QUESTION = 63;
const CH_AT = 64;
const CH_LBRACKET = 91;
const CH_RBRACKET = 93;
const CH_UNDERSCORE = 95;
const CH_BACKTICK = 96;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === CH_UNDERSCORE || c >= 0x80;
}

// SQLite allows `$` inside identifiers (but not as their first character).
function isIdChar(c: number): boolean {
  return isIdStart(c) || isDigit(c) || c === CH_DOLLAR;
}

function isSpace(c: number): boolean {
  return c === CH_SPACE || (c >= 9 && c <= 13);
}

/** Position just past a quoted run that started at `start` and closes with `close`; a doubled
 * closing character is an escape. Unterminated runs extend to the end of the input. */
function skipQuoted(sql: string, start: number, close: number, doubledEscapes: boolean): number {
  let i = start + 1;
  const n = sql.length;
  while (i < n) {
    if (sql.charCodeAt(i) === close) {
      if (doubledEscapes && sql.charCodeAt(i + 1) === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    const start = i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === CH_MINUS && sql.charCodeAt(i + 1) === CH_MINUS) {
      const nl = sql.indexOf("\n", i + 2);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === CH_SLASH && sql.charCodeAt(i + 1) === CH_STAR) {
      const close = sql.indexOf("*/", i + 2);
      i = close === -1 ? n : close + 2;
      continue;
    }
    if (c === CH_SQUOTE) {
      i = skipQuoted(sql, i, CH_SQUOTE, true);
      tokens.push({ kind: "string", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === CH_DQUOTE || c === CH_BACKTICK) {
      i = skipQuoted(sql, i, c, true);
      tokens.push({ kind: "quoted", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === CH_LBRACKET) {
      i = skipQuoted(sql, i, CH_RBRACKET, false);
      tokens.push({ kind: "quoted", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === CH_SEMI) {
      i++;
      tokens.push({ kind: "semi", text: ";", start, end: i });
      continue;
    }
    if (c === CH_QUESTION) {
      i++;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      tokens.push({ kind: "param", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if ((c === CH_COLON || c === CH_AT || c === CH_DOLLAR) && i + 1 < n && isIdChar(sql.charCodeAt(i + 1))) {
      i++;
      while (i < n && isIdChar(sql.charCodeAt(i))) i++;
      tokens.push({ kind: "param", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c) || (c === CH_DOT && isDigit(sql.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        const prev = sql.charCodeAt(i - 1) | 0x20; // lower-cased previous char
        if (isIdChar(d) || d === CH_DOT || ((d === CH_PLUS || d === CH_MINUS) && prev === 101 /* e */)) {
          i++;
        } else {
          break;
        }
      }
      tokens.push({ kind: "other", text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdChar(sql.charCodeAt(i))) i++;
      tokens.push({ kind: "word", text: sql.slice(start, i).toUpperCase(), start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: "other", text: sql[start] ?? "", start, end: i });
  }
  return tokens;
}

/** The upper-cased name a word or quoted-identifier token stands for (`"ReadFile"`, `[x]` and
 * `` `x` `` included), or undefined for anything else. SQLite compares names case-insensitively. */
export function identifierName(token: Token | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.kind === "word") return token.text;
  if (token.kind !== "quoted") return undefined;
  const open = token.text[0];
  const close = open === "[" ? "]" : open;
  const inner = token.text.endsWith(close ?? "") && token.text.length > 1 ? token.text.slice(1, -1) : token.text.slice(1);
  return (open === "[" ? inner : inner.replaceAll(`${open}${open}`, open ?? "")).toUpperCase();
}

function isWord(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === "word" && token.text === text;
}

/** `CREATE [TEMP|TEMPORARY] TRIGGER`, possibly behind EXPLAIN [QUERY PLAN]: its body holds
 * semicolons that do not end the statement. */
function startsTrigger(tokens: readonly Token[]): boolean {
  let k = 0;
  if (isWord(tokens[k], "EXPLAIN")) {
    k++;
    if (isWord(tokens[k], "QUERY") && isWord(tokens[k + 1], "PLAN")) k += 2;
  }
  if (!isWord(tokens[k], "CREATE")) return false;
  k++;
  if (isWord(tokens[k], "TEMP") || isWord(tokens[k], "TEMPORARY")) k++;
  return isWord(tokens[k], "TRIGGER");
}

/**
 * Splits SQL into statements the way sqlite3_complete() sees them: a semicolon ends a statement,
 * except inside a trigger body, which ends only at an `END` that directly follows a semicolon and
 * is itself directly followed by a semicolon (or the end of input). Empty statements are dropped.
 */
export function splitStatements(sql: string): SqlStatementText[] {
  const tokens = tokenize(sql);
  const statements: SqlStatementText[] = [];
  let current: Token[] = [];
  let trigger = false;
  let afterSemi = false;
  let sawEnd = false;
  const finish = (): void => {
    if (current.length > 0) {
      const first = current[0];
      const last = current[current.length - 1];
      if (first !== undefined && last !== undefined) {
        statements.push({ text: sql.slice(first.start, last.end), tokens: current });
      }
    }
    current = [];
    trigger = false;
    afterSemi = false;
    sawEnd = false;
  };
  for (const token of tokens) {
    if (token.kind === "semi") {
      if (trigger && !sawEnd) {
        current.push(token);
        afterSemi = true;
        continue;
      }
      finish();
      continue;
    }
    if (current.length === 0) trigger = false;
    current.push(token);
    if (current.length <= 6 && !trigger) trigger = startsTrigger(current);
    if (trigger) {
      sawEnd = afterSemi && isWord(token, "END");
      afterSemi = false;
    }
  }
  finish();
  return statements;
}
