// Conversions between native driver values and Hrana wire values, and the mapping of Hrana
// arguments onto parameter slots.
import { StreamRequestError } from "./errors.ts";
import type { SqlValue, Stmt, WireValue } from "./hrana-types.ts";
import type { StatementInfo } from "./sql-analysis.ts";

const NULL_VALUE: WireValue = { type: "null" };

/** Statements run with safeIntegers, so INTEGER arrives as bigint and REAL as number. */
export function toWireValue(value: unknown): WireValue {
  if (value === null || value === undefined) return NULL_VALUE;
  switch (typeof value) {
    case "bigint":
      return { type: "integer", value: value.toString() };
    case "number":
      // JSON has no NaN/Infinity; SQLite turns NaN into NULL already, infinities become NULL here.
      return Number.isFinite(value) ? { type: "float", value } : NULL_VALUE;
    case "string":
      return { type: "text", value };
    default:
      if (value instanceof Uint8Array) {
        return { type: "blob", base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
      }
      return { type: "text", value: String(value) };
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
  if (stmt.namedArgs.length === 0 && stmt.args.length === info.paramCount) return stmt.args;
  const values: (SqlValue | undefined)[] = stmt.args.slice();
  values.length = info.paramCount;
  for (const { name, value } of stmt.namedArgs) {
    const slot = slotOfName(info, name);
    if (slot === -1) {
      throw new StreamRequestError(`The statement has no parameter named ${JSON.stringify(name)}`, "ARGS_INVALID");
    }
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
