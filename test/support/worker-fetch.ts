// For Worker tests: requests to the Worker's real default export, as workerd calls it.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const bindings = env as Env & { TEST_ROOT_KEY: string };
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

export type TestAgent = { id: string; name: string; capabilities: string[]; token: string };

let agentCounter = 0;

/** Registers a fresh agent (unique name) through the owner API. */
export async function newAgent(prefix = "agent", capabilities: string[] = []): Promise<TestAgent> {
  const name = `${prefix}-${Date.now().toString(36)}-${agentCounter++}`;
  const res = await asRoot("POST", "/v1/owner/agents", { name, capabilities });
  expect(res.status).toBe(201);
  return (await res.json()) as TestAgent;
}

/** A topic or subscription name unique to this test run. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${agentCounter++}`;
}
