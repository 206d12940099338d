// The key cache (workers/auth/key-cache.ts) against revocation: a key served from memory is 401
// on the first request after the revoke returns, including when a lookup of that key was still on
// its way back from libSQL while the revoke committed.
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, newAgent } from "../support/worker-fetch.ts";

/** The environment with a libSQL binding whose answers to the key lookup wait for `release`. */
function heldKeyLookups() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let arrived!: () => void;
  const lookupAnswered = new Promise<void>((r) => (arrived = r));
  const env = {
    ...bindings,
    LIBSQL: {
      async fetch(input: Request | string | URL, init?: RequestInit) {
        const req = new Request(input, init);
        const isKeyLookup = (await req.clone().text()).includes('from \\"keys\\"');
        const res = await bindings.LIBSQL.fetch(req);
        if (isKeyLookup) {
          arrived();
          await released; // libSQL has answered (the key was live); the answer is held here
        }
        return res;
      },
    },
  };
  return { env, lookupAnswered, release };
}

describe("key cache", () => {
  it("a key answered from memory is 401 on the very next request after the revoke returns", async () => {
    const h = await grantHelper(["status:read"]);
    for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(200);
    expect((await asRoot("DELETE", `/v1/owner/membrane/${h.id}`)).status).toBe(200);
    expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(401);
  });

  it("a lookup in flight while the key is revoked does not bring the live row back", async () => {
    const h = await grantHelper(["status:read"]);
    forgetKeys([h.id]); // as after a restart: this isolate has not looked the key up yet
    const held = heldKeyLookups();
    const req = new Request("http://seed.test/v1/status", { headers: { Authorization: `Bearer ${h.token}` } });
    const inFlight = app.fetch(req, held.env, createExecutionContext());
    await held.lookupAnswered; // libSQL said "live"; that answer has not reached the Worker yet
    expect((await asRoot("DELETE", `/v1/owner/membrane/${h.id}`)).status).toBe(200);
    held.release();
    // Sent before the revoke returned: it may be served. What it read must not outlive the revoke.
    await (await inFlight).arrayBuffer();
    for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/status", { key: h.token })).status).toBe(401);
  });

  it("a key minted through the API needs no lookup: 50 parallel first requests read no key row", async () => {
    const h = await grantHelper(["status:read"]);
    const a = await newAgent("cache-first");
    let lookups = 0;
    const counting = {
      ...bindings,
      LIBSQL: {
        async fetch(input: Request | string | URL, init?: RequestInit) {
          const req = new Request(input, init);
          if ((await req.clone().text()).includes('from \\"keys\\"')) lookups++;
          return bindings.LIBSQL.fetch(req);
        },
      },
    };
    const first = (path: string, key: string) => app.fetch(new Request(`http://seed.test${path}`, { headers: { Authorization: `Bearer ${key}` } }), counting, createExecutionContext());
    const answers = await Promise.all([...Array.from({ length: 25 }, () => first("/v1/status", h.token)), ...Array.from({ length: 25 }, () => first("/v1/bus/whoami", a.token))]);
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    expect(lookups).toBe(0);
  });

  it("an agent's narrowed capabilities apply on its next request", async () => {
    const a = await newAgent("cache", ["invoices", "payroll"]);
    const whoami = async () => ((await (await call("GET", "/v1/bus/whoami", { key: a.token })).json()) as { capabilities: string[] }).capabilities;
    expect(await whoami()).toEqual(["invoices", "payroll"]);
    expect((await asRoot("PATCH", `/v1/owner/agents/${a.id}`, { capabilities: ["invoices"] })).status).toBe(200);
    expect(await whoami()).toEqual(["invoices"]);
  });
});
