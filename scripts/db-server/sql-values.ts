// Arguments on their way in: every value must come back exactly as it was sent, so text the
// native driver would silently change is refused with a clear error, and Hrana arguments are
// mapped onto parameter slots the way SQLite numbers them.
import { StreamRequestError } from "./errors.ts";
import type { SqlValue, Stmt } from "./hrana-types.ts";
import type { StatementInfo } from "./sql-analysis.ts";

interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * Why `text` cannot travel through the native driver unchanged, or undefined. The driver reads
 * text back as a C string (cut at the first NUL) and turns lone UTF-16 surrogates into U+FFFD:
 * a value hashed before storing would not match the value read back.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes("\0")) return "contains a NUL character (U+0000), which the database driver cuts text at";
  if (!(text as unknown as WellFormed).isWellFormed()) {
    return "contains a lone UTF-16 surrogate, which is not valid Unicode and cannot be stored as UTF-8";
  }
  return undefined;
}

function checkArg(value: SqlValue, label: () => string): void {
  if (typeof value !== "string") return;
  const problem = textProblem(value);
  if (problem !== undefined) {
    throw new StreamRequestError(`The text value of ${label()} ${problem}; send such data as a blob`, "ARGS_INVALID");
  }
}

const PREFIXES = [":", "@", "$"] as const;

function slotOfName(info: StatementInfo, name: string): number {
  const direct = info.paramNames.indexOf(name);
  if (direct !== -1) return direct;
  if (name.length > 0 && !PREFIXES.some((p) => name.startsWith(p))) {
    for (const prefix of PREFIXES) {
      const slot = info.paramNames.indexOf(prefix + name);
      if (slot !== -1) return slot;
    }
  }
  return -1;
}

/**
 * Builds the positional argument array the native driver binds by index. Named arguments win
 * over positional ones for the same slot. The native binding must never see an object of named
 * values: an unknown name aborts the whole process inside the driver.
 */
export function bindArgs(info: StatementInfo, stmt: Stmt): SqlValue[] {
  if (stmt.args.length > info.paramCount) {
    throw new StreamRequestError(
      `The statement has ${info.paramCount} parameter(s) but ${stmt.args.length} positional argument(s) were given`,
      "ARGS_INVALID",
    );
  }
  stmt.args.forEach((value, i) => checkArg(value, () => `argument ${i + 1}`));
  if (stmt.namedArgs.length === 0 && stmt.args.length === info.paramCount) return stmt.args;
  const values: (SqlValue | undefined)[] = stmt.args.slice();
  values.length = info.paramCount;
  for (const { name, value } of stmt.namedArgs) {
    const slot = slotOfName(info, name);
    if (slot === -1) {
      throw new StreamRequestError(`The statement has no parameter named ${JSON.stringify(name)}`, "ARGS_INVALID");
    }
    checkArg(value, () => `argument ${JSON.stringify(name)}`);
    values[slot] = value;
  }
  const out: SqlValue[] = new Array<SqlValue>(info.paramCount);
  for (let i = 0; i < info.paramCount; i++) {
    const value = values[i];
    if (value === undefined) {
      if (info.paramUsed[i] === true) {
        const label = info.paramNames[i] ?? `?${i + 1}`;
        throw new StreamRequestError(`No value was given for parameter ${label}`, "ARGS_INVALID");
      }
      out[i] = null;
    } else {
      out[i] = value;
    }
  }
  return out;
}
