// How CLI commands talk to a running seed: its HTTP API, with the owner's root key read from a
// file (never from an argument). The URL comes from the running seed's state file or --url.
// Commands use hono's typed client on the Worker's own app type (`seedClient`): routes, inputs
// and answers are checked against workers/app.ts by the typecheck (the types come from
// .types/, emitted by `npm run typecheck`; nothing of the Worker is loaded at run time).
import { existsSync, readFileSync } from "node:fs";
import { hc, type ClientResponse } from "hono/client";
import type { AppType } from "../../.types/workers/app.d.ts";
import { homePaths } from "./home.ts";
import { cliKeyFile } from "./key-file.ts";

export type ApiOptions = { home: string; url?: string; keyFile?: string };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, message: string, code = "") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The key file this call presents (scripts/cli/key-file.ts). */
export function keyFileOf(opts: ApiOptions): string {
  return cliKeyFile(opts.home, opts.keyFile);
}

export function apiTarget(opts: ApiOptions): { url: string; key: string } {
  const home = homePaths(opts.home);
  let url = opts.url ?? process.env.SEED_URL;
  if (!url) {
    if (!existsSync(home.state)) throw new Error(`no seed is running from ${home.dir} (start it with \`seed up\`, or pass --url)`);
    url = (JSON.parse(readFileSync(home.state, "utf8")) as { httpUrl: string }).httpUrl;
  }
  const keyFile = keyFileOf(opts);
  if (!existsSync(keyFile)) throw new Error(`no key file at ${keyFile} (pass --key-file)`);
  return { url, key: readFileSync(keyFile, "utf8").trim() };
}

function reaching(url: string): typeof fetch {
  return async (input, init) => {
    try {
      return await fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(60_000) });
    } catch (err) {
      throw new Error(`cannot reach the seed at ${url}: ${(err as Error).message}`);
    }
  };
}

/**
 * hono's client puts `param` values into the path as they are (4.13: `/:id` → `/${v}`, an empty
 * value drops the segment), so `seed memory forget 'x?y'` would delete memory `x`. Every call
 * through seedClient has each path value encoded as one segment, and an empty one refused.
 */
function encodingParams<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== "function" && (typeof v !== "object" || v === null)) return v;
      if (typeof prop === "string" && prop.startsWith("$") && typeof v === "function") {
        return (args?: { param?: Record<string, string> }, ...rest: unknown[]) => {
          if (!args?.param) return (v as (...a: unknown[]) => unknown)(args, ...rest);
          // A value that cannot be one segment — empty, or `.`/`..`, which URL parsing resolves
          // even encoded — is answered here as the seed would (a 422 naming path.<name>), so
          // ok() names the argument at fault; nothing is sent.
          const bad = Object.keys(args.param).find((k) => ["", ".", ".."].includes(args.param![k]!));
          if (bad !== undefined) return Promise.resolve(Response.json({ error: { code: "invalid_input", message: `path.${bad}: must not be empty, "." or ".."` } }, { status: 422 }));
          const param = Object.fromEntries(Object.entries(args.param).map(([k, x]) => [k, encodeURIComponent(x)]));
          return (v as (...a: unknown[]) => unknown)({ ...args, param }, ...rest);
        };
      }
      return encodingParams(v as object);
    },
  });
}

/** hono's typed client on the Worker's app, presenting the owner's key (path values encoded). */
export function seedClient(opts: ApiOptions) {
  const { url, key } = apiTarget(opts);
  return encodingParams(hc<AppType>(url, { headers: { Authorization: `Bearer ${key}` }, fetch: reaching(url) }));
}
export type SeedClient = ReturnType<typeof seedClient>;

/**
 * Where a refusal's `path.topic: …` / `body.max: …` came from, in the CLI's words: the argument
 * or flag that carried it (`{ "path.topic": "TOPIC", "body.max": "--max" }`).
 */
export type Blame = Record<string, string>;

function blamed(message: string, blame: Blame): string {
  const m = /^((?:path|query|body)(?:\.[\w-]+)*): /.exec(message);
  if (!m) return message;
  const where = m[1]!;
  const hit = Object.keys(blame)
    .filter((k) => where === k || where.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  return hit ? `${blame[hit]}: ${message.slice(m[0].length)}` : message;
}

type Success<R> = R extends ClientResponse<infer T, infer S, infer _F> ? (S extends 200 | 201 | 202 ? T : never) : never;

/** The answer of a 2xx; otherwise an ApiError naming the status, the code and — with `blame` — the flag at fault. */
export async function ok<R extends ClientResponse<unknown, number, string>>(pending: Promise<R>, blame: Blame = {}): Promise<Success<R>> {
  const res = await pending;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code: string; message: string } } | undefined)?.error;
    const message = e ? blamed(e.message, blame) : text.slice(0, 500);
    throw new ApiError(res.status, `${res.status} ${e?.code ?? ""}: ${message}`.replace(/ +:/, ":"), e?.code);
  }
  return json as Success<R>;
}
