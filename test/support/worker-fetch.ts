// For Worker tests: requests to the Worker's real default export, as workerd calls it.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { Bindings } from "../../workers/app-env.ts";

export const bindings = env as unknown as Bindings & { TEST_ROOT_KEY: string };
const worker = (exports as unknown as { default: Fetcher }).default;

export function call(method: string, path: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  return worker.fetch(new Request(`http://seed.test${path}`, { method, headers, body }));
}

export const asRoot = (method: string, path: string, body?: unknown) => call(method, path, { key: bindings.TEST_ROOT_KEY, body });

export async function expectError(res: Response, status: number, code?: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe("string");
  if (code) expect(body.error.code).toBe(code);
  return body.error.message;
}
