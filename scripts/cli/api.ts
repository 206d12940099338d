// How CLI commands talk to a running seed: its HTTP API, with the owner's root key read from a
// file (never from an argument). The URL comes from the running seed's state file or --url.
import { existsSync, readFileSync } from "node:fs";
import { homePaths } from "./home.ts";
import { cliKeyFile } from "./key-file.ts";

export type ApiOptions = { home: string; url?: string; keyFile?: string };

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
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

export async function api<T>(opts: ApiOptions, method: string, path: string, body?: unknown): Promise<T> {
  const { url, key } = apiTarget(opts);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the seed at ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (json as { error?: { code: string; message: string } } | undefined)?.error;
    throw new ApiError(res.status, `${res.status} ${e?.code ?? ""}: ${e?.message ?? text}`.trim());
  }
  return json as T;
}
