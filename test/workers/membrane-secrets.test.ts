// Secrets never leave: no API response (body or header) and no log line carries a key's secret,
// the libSQL token, the master key or the identity key — on success, on failure, and when the
// organs behind the Worker are down (fail closed: 503, never a pass).
import { createExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { parseKey } from "../../lib/keys.ts";
import { app } from "../../workers/app.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { callFrom, freshAddress, grantHelper, type Helper } from "../support/membrane.ts";
import { HELPER_SCOPES, ROWS } from "../support/scope-matrix-rows.ts";
import { asRoot, bindings, expectError, newAgent, type TestAgent } from "../support/worker-fetch.ts";

let helper: Helper;
let agent: TestAgent;
let secrets: string[];
const logged: string[] = [];

beforeAll(async () => {
  for (const level of ["log", "error", "warn", "info", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
  }
  helper = await grantHelper(HELPER_SCOPES, { name: "secrets" });
  agent = await newAgent("secrets");
  const secretOf = (token: string) => token.split("_")[3]!;
  secrets = [
    secretOf(bindings.TEST_ROOT_KEY),
    secretOf(helper.token),
    secretOf(agent.token),
    bindings.SEED_DB_TOKEN,
    bindings.SEED_MASTER_KEY,
    bindings.SEED_IDENTITY_KEY!,
    bindings.SEED_IDENTITY_KEY!.slice(-40), // the key material itself, not only the whole encoding
  ];
});

afterAll(() => vi.restoreAllMocks());

function expectNoSecret(where: string, text: string) {
  for (const s of secrets) expect(text.includes(s), `${where} leaks a secret`).toBe(false);
}

async function answer(res: Response): Promise<string> {
  return `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`;
}

const down = () => ({ ...bindings, LIBSQL: { fetch: () => Promise.reject(new Error(`connection refused (token ${bindings.SEED_DB_TOKEN})`)) } });

describe("secrets", () => {
  it("no answer of any route to any kind of key carries a secret", async () => {
    for (const row of ROWS) {
      for (const token of [undefined, bindings.TEST_ROOT_KEY, agent.token, helper.token, `${helper.token.slice(0, -1)}0`]) {
        if (token === bindings.TEST_ROOT_KEY && row.root === undefined) continue;
        const path = typeof row.path === "function" ? row.path() : row.path;
        const res = await callFrom(freshAddress(), row.method, path, { key: token, body: row.body });
        expectNoSecret(`${row.method} ${path}`, await answer(res));
      }
    }
  });

  it("a grant shows its own new token once and no other secret; key and audit listings show none", async () => {
    const res = await asRoot("POST", "/v1/owner/membrane", { name: "once", scopes: ["status:read"] });
    const text = await res.text();
    const token = (JSON.parse(text) as { token: string }).token;
    expectNoSecret("grant", text.replace(token, ""));
    for (const path of ["/v1/owner/keys", "/v1/owner/membrane?state=all", "/v1/owner/audit?limit=1000", "/v1/owner/handoff", "/v1/owner/audit/checkpoints"]) {
      const body = await answer(await asRoot("GET", path));
      expectNoSecret(path, body);
      expect(body.includes(token.split("_")[3]!), path).toBe(false);
    }
  });

  it("libSQL unreachable: every authenticated route fails closed with 503, and nothing leaks", async () => {
    const before = ((await (await asRoot("GET", "/v1/owner/audit?limit=1")).json()) as { head: { seq: number } }).head.seq;
    // Keys this isolate has not verified yet, as after a restart (a key it already verified is
    // served from the key cache, which no revoke can outdate while libSQL is down).
    forgetKeys([helper.id, agent.id, parseKey(bindings.TEST_ROOT_KEY)!.id]);
    const env = down();
    const tries: [string, string, string][] = [
      ["GET", "/v1/status", helper.token],
      ["GET", "/v1/audit", helper.token],
      ["GET", "/v1/owner/keys", bindings.TEST_ROOT_KEY],
      ["GET", "/v1/owner/membrane", bindings.TEST_ROOT_KEY],
      ["POST", "/v1/owner/membrane", bindings.TEST_ROOT_KEY],
      ["DELETE", `/v1/owner/membrane/${helper.id}`, bindings.TEST_ROOT_KEY],
      ["POST", "/v1/owner/handoff", bindings.TEST_ROOT_KEY],
      ["GET", "/v1/bus/whoami", agent.token],
    ];
    for (const [method, path, token] of tries) {
      const req = new Request(`http://seed.test${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: method === "POST" ? JSON.stringify({ name: "x", scopes: ["status:read"] }) : undefined, cf: { clientIp: `${freshAddress()}:40000` } });
      const res = await app.fetch(req, env, createExecutionContext());
      const text = await answer(res.clone());
      expectNoSecret(`${method} ${path} with libSQL down`, text);
      await expectError(res, 503, "key_store_unavailable");
    }
    await expectError(await app.fetch(new Request("http://seed.test/v1/identity"), env, createExecutionContext()), 503, "identity_unavailable");
    // The helper's refused request is still in the ledger (its writer reaches libSQL on its own),
    // but not in the name of a key nobody could verify (issue 9 item 2).
    const res = await asRoot("GET", "/v1/owner/audit?action=request&limit=1000&after=" + before);
    const rows = ((await res.json()) as { rows: AuditRecord[] }).rows.filter((r) => r.status === 503 && r.detail?.includes(helper.id));
    expect(rows.map((r) => [r.route, r.actor, r.keyId, r.detail])).toEqual(
      ["/v1/status", "/v1/audit"].map((route) => [route, "anonymous", null, JSON.stringify({ claimedKeyId: helper.id, key: "unverifiable" })]),
    );
    // The helper key was not revoked by the failed DELETE: fail closed never means fail destructive.
    expect((await callFrom(freshAddress(), "GET", "/v1/status", { key: helper.token })).status).toBe(200);
  });

  it("the audit ledger unreachable: a helper request fails closed with 503, and nothing leaks", async () => {
    // An error whose message carries a secret, as a careless driver might produce.
    const env = { ...bindings, AUDIT: { idFromName: () => ({}), get: () => ({ append: () => Promise.reject(new Error(`ledger down, token ${bindings.SEED_DB_TOKEN}`)) }) } };
    const req = new Request("http://seed.test/v1/status", { headers: { Authorization: `Bearer ${helper.token}` }, cf: { clientIp: `${freshAddress()}:40000` } });
    const res = await app.fetch(req, env, createExecutionContext());
    expectNoSecret("audit down", await answer(res.clone()));
    await expectError(res, 503, "audit_unavailable");
  });

  it("nothing above wrote a secret to the log", () => {
    expect(logged.length).toBeGreaterThan(0); // the spies did see the Worker's log lines
    for (const line of logged) expectNoSecret(`log line ${JSON.stringify(line.slice(0, 80))}`, line);
  });
});
