// The console reads and acts only through the seed's own JSON routes, dispatched in-process with
// the signed-in key's caller (workers/auth/in-process-caller.ts): the same access policies, the
// same Durable Object and lib calls, the same audit rows as a client of the API gets.
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { Caller } from "../auth/caller.ts";
import { actAs } from "../auth/in-process-caller.ts";
import type { Dispatch } from "../mcp/mcp-handler.ts";

export type ApiError = { code: string; message: string };
export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiError };
export type ConsoleApi = <T>(method: string, path: string, body?: unknown) => Promise<ApiResult<T>>;

export function consoleApi(c: Context<AppEnv>, caller: Caller, dispatch: Dispatch): ConsoleApi {
  return async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    const res = await dispatch(actAs(new Request(new URL(path, c.req.url), init), caller), c);
    const json = (await res.json().catch(() => null)) as unknown;
    if (res.ok) return { ok: true, status: res.status, data: json as T };
    const error = (json as { error?: ApiError } | null)?.error ?? { code: "http_error", message: `status ${res.status}` };
    return { ok: false, status: res.status, error };
  };
}
