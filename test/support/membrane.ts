// For Worker tests of the membrane: helper keys, requests from a chosen client address, and the
// audit ledger's rows.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { asRoot, bindings } from "./worker-fetch.ts";

export type Helper = { id: string; name: string; scopes: string[]; expiresAt: number | null; token: string };

const worker = (exports as unknown as { default: Fetcher }).default;
let counter = 0;

export async function grantHelper(scopes: string[], opts: { name?: string; ttl?: string } = {}): Promise<Helper> {
  const res = await asRoot("POST", "/v1/owner/membrane", { name: opts.name ?? `helper ${++counter}`, scopes, ...(opts.ttl ? { ttl: opts.ttl } : {}) });
  expect(res.status).toBe(201);
  return (await res.json()) as Helper;
}

/** A request as workerd would deliver it from `address` (request.cf.clientIp). */
export function callFrom(address: string, method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  return worker.fetch(new Request(`http://seed.test${path}`, { method, headers, body, cf: { clientIp: `${address}:40000` } }));
}

/** Audit rows about one key id, oldest first. */
export async function auditOf(keyId: string): Promise<AuditRecord[]> {
  const res = await asRoot("GET", `/v1/owner/audit?keyId=${keyId}&limit=1000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: AuditRecord[] }).rows;
}

let addr = 0;
/** A fresh client address per call, so one test's failures never rate-limit another's. */
export function freshAddress(): string {
  addr++;
  return `10.${(addr >> 16) & 255}.${(addr >> 8) & 255}.${addr & 255}`;
}

export { bindings };
