// Item 13 of issue 9: every change the owner makes is one audit row. The routes are enumerated
// from the app itself (owner-only by their access policy, anything but GET), so a new owner route
// that changes something and has no case here fails the first test; each case then checks that
// the change wrote exactly the rows it should, by the key that made it, with no secret in them.
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { openDb } from "../../lib/db/client.ts";
import { keys } from "../../lib/db/schema.ts";
import { mintKey } from "../../lib/keys.ts";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";
import { app } from "../../workers/app.ts";
import type { AccessPolicy } from "../../workers/auth/access.ts";
import { bindings, call, newAgent, unique } from "../support/worker-fetch.ts";
import { defineAgent, giveTask, work } from "./agents-support.ts";

type Handler = { policy?: AccessPolicy; __COMPOSED_HANDLER?: Handler };
/** The access policy among a route's handlers (hono wraps a sub-app's handler when it mounts it). */
const policyOf = (h: unknown): AccessPolicy | undefined => {
  let x = h as Handler | undefined;
  while (x && !x.policy && x.__COMPOSED_HANDLER) x = x.__COMPOSED_HANDLER;
  return x?.policy;
};
const ownerOnly = (p: AccessPolicy | undefined) => !!p && p.owner === true && !p.agent && p.helper === undefined;

/** "METHOD /path" of every route only the owner may call that is not a read. */
function ownerChangeRoutes(): string[] {
  const guarded = app.routes.filter((r) => r.method === "ALL" && r.path.endsWith("/*") && ownerOnly(policyOf(r.handler))).map((r) => r.path.slice(0, -1));
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || r.method === "GET") continue;
    const own = guarded.some((g) => r.path.startsWith(g)) || app.routes.some((x) => x.method === r.method && x.path === r.path && ownerOnly(policyOf(x.handler)));
    if (own) out.add(`${r.method} ${r.path}`);
  }
  return [...out].sort();
}

// A root key of this file's own: the rows it writes are this file's alone, whatever other test
// files do with the shared root key meanwhile.
let owner: { id: string; token: string };
const asOwner = (method: string, path: string, body?: unknown) => call(method, path, { key: owner.token, body });
const SECRET = "whsec_dGhpcyBpcyBub3QgdG8gYmUgbG9nZ2Vk"; // must never reach a row

beforeAll(async () => {
  const k = await mintKey("root");
  await openDb(bindings).insert(keys).values({ id: k.id, kind: "root", name: "audit-changes", secretHash: k.secretHash, createdAt: Date.now() });
  owner = { id: k.id, token: k.token };
});

const head = async () => ((await (await call("GET", "/v1/owner/audit?limit=1", { key: owner.token })).json()) as { head: { seq: number } }).head.seq;
const rowsSince = async (seq: number) =>
  ((await (await call("GET", `/v1/owner/audit?after=${seq}&keyId=${owner.id}&limit=1000`, { key: owner.token })).json()) as { rows: AuditRecord[] }).rows;

type Case = {
  /** Whatever the change needs first (not counted); returns what `change` gets. */
  setup?: () => Promise<Record<string, string>>;
  change: (s: Record<string, string>) => Promise<Response>;
  actions: string[];
  target?: (s: Record<string, string>) => string;
};

const CASES: Record<string, Case | { elsewhere: string }> = {
  "POST /v1/owner/agents": { change: () => asOwner("POST", "/v1/owner/agents", { name: unique("audited"), capabilities: [] }), actions: ["agent.add"] },
  "PATCH /v1/owner/agents/:id": {
    setup: async () => ({ id: (await newAgent("audited")).id }),
    change: (s) => asOwner("PATCH", `/v1/owner/agents/${s.id}`, { capabilities: ["x"] }),
    actions: ["agent.update"],
    target: (s) => s.id!,
  },
  // Removal revokes the agent's key through revokeKeys (one row for the revoke) and records the removal.
  "DELETE /v1/owner/agents/:id": { setup: async () => ({ id: (await newAgent("audited")).id }), change: (s) => asOwner("DELETE", `/v1/owner/agents/${s.id}`), actions: ["key.revoke", "agent.remove"] },
  "POST /v1/owner/approvals/:id/approve": { setup: () => pendingApproval(), change: (s) => asOwner("POST", `/v1/owner/approvals/${s.id}/approve`, {}), actions: ["approval.approve"], target: (s) => s.id! },
  "POST /v1/owner/approvals/:id/deny": { setup: () => pendingApproval(), change: (s) => asOwner("POST", `/v1/owner/approvals/${s.id}/deny`, { reason: "no" }), actions: ["approval.deny"], target: (s) => s.id! },
  "DELETE /v1/owner/keys/:id": { setup: async () => ({ id: (await newAgent("audited")).id }), change: (s) => asOwner("DELETE", `/v1/owner/keys/${s.id}`), actions: ["key.revoke"] },
  "POST /v1/owner/membrane": { change: () => asOwner("POST", "/v1/owner/membrane", { name: "audited", scopes: ["status:read"] }), actions: ["membrane.grant"] },
  "DELETE /v1/owner/membrane/:id": {
    setup: async () => ({ id: ((await (await asOwner("POST", "/v1/owner/membrane", { name: "audited", scopes: ["status:read"] })).json()) as { id: string }).id }),
    change: (s) => asOwner("DELETE", `/v1/owner/membrane/${s.id}`),
    actions: ["membrane.revoke"],
  },
  // Revoking every other root key would lock every other test file out: the real handoff runs
  // against real processes, with its rows checked, in test/system/handoff.test.ts.
  "POST /v1/owner/handoff": { elsewhere: "test/system/handoff.test.ts" },
  // Re-sealing under another master key would leave this runtime's SEED_MASTER_KEY behind.
  "POST /v1/owner/handoff/master-key": { elsewhere: "test/system/handoff.test.ts" },
  "POST /v1/owner/mind/mode": { change: () => asOwner("POST", "/v1/owner/mind/mode", { mode: "observe" }), actions: ["mind.mode"], target: () => "observe" },
  "PUT /v1/owner/mind/hooks/:source": { setup: async () => ({ name: unique("hook") }), change: (s) => asOwner("PUT", `/v1/owner/mind/hooks/${s.name}`, { scheme: "standard-webhooks", secret: SECRET }), actions: ["hook.set"], target: (s) => s.name! },
  "DELETE /v1/owner/mind/hooks/:source": {
    setup: async () => {
      const name = unique("hook");
      await asOwner("PUT", `/v1/owner/mind/hooks/${name}`, { scheme: "github" });
      return { name };
    },
    change: (s) => asOwner("DELETE", `/v1/owner/mind/hooks/${s.name}`),
    actions: ["hook.remove"],
    target: (s) => s.name!,
  },
  "POST /v1/owner/mind/rules": { change: () => asOwner("POST", "/v1/owner/mind/rules", { source: "audited", event: "x.*", capability: "audited", title: "t" }), actions: ["rule.add"] },
  "DELETE /v1/owner/mind/rules/:id": {
    setup: async () => ({ id: ((await (await asOwner("POST", "/v1/owner/mind/rules", { source: "audited", event: "y", capability: "audited", title: "t" })).json()) as { id: string }).id }),
    change: (s) => asOwner("DELETE", `/v1/owner/mind/rules/${s.id}`),
    actions: ["rule.remove"],
    target: (s) => s.id!,
  },
  "PUT /v1/owner/mind/planner": { change: () => asOwner("PUT", "/v1/owner/mind/planner", { model: "audited", enabled: false }), actions: ["planner.set"] },
  "DELETE /v1/owner/mind/planner": { change: () => asOwner("DELETE", "/v1/owner/mind/planner"), actions: ["planner.remove"] },
  "POST /v1/owner/mind/import": {
    change: () => asOwner("POST", "/v1/owner/mind/import", { tasks: [{ id: unique("imported"), title: "old", capability: "audited", createdAt: 1_700_000_000_000, state: "open" }] }),
    actions: ["mind.import"],
  },
  "PUT /v1/owner/mind/expectations/:name": { setup: async () => ({ name: unique("exp") }), change: (s) => asOwner("PUT", `/v1/owner/mind/expectations/${s.name}`, { everyMs: 3_600_000 }), actions: ["expectation.set"], target: (s) => s.name! },
  "DELETE /v1/owner/mind/expectations/:name": {
    setup: async () => {
      const name = unique("exp");
      await asOwner("PUT", `/v1/owner/mind/expectations/${name}`, { everyMs: 3_600_000 });
      return { name };
    },
    change: (s) => asOwner("DELETE", `/v1/owner/mind/expectations/${s.name}?kind=capability`),
    actions: ["expectation.remove"],
    target: (s) => s.name!,
  },
  "PUT /v1/owner/mind/schedules/:name": {
    setup: async () => ({ name: unique("sched") }),
    change: (s) => asOwner("PUT", `/v1/owner/mind/schedules/${s.name}`, { cron: "0 3 * * *", capability: "audited", title: "nightly" }),
    actions: ["schedule.set"],
    target: (s) => s.name!,
  },
  "DELETE /v1/owner/mind/schedules/:name": {
    setup: async () => {
      const name = unique("sched");
      await asOwner("PUT", `/v1/owner/mind/schedules/${name}`, { cron: "0 3 * * *", capability: "audited", title: "nightly" });
      return { name };
    },
    change: (s) => asOwner("DELETE", `/v1/owner/mind/schedules/${s.name}`),
    actions: ["schedule.remove"],
    target: (s) => s.name!,
  },
  "PUT /v1/owner/mind/notify": { change: () => asOwner("PUT", "/v1/owner/mind/notify", { service: "ALERTS", url: "http://hooks.owner.test/seed/alerts", secret: SECRET }), actions: ["notify.set"] },
  "DELETE /v1/owner/mind/notify": { change: () => asOwner("DELETE", "/v1/owner/mind/notify"), actions: ["notify.remove"] },
  "PUT /v1/memory/embedder": {
    setup: async () => ({ embedder: JSON.stringify(((await (await asOwner("GET", "/v1/memory/status")).json()) as { embedder: unknown }).embedder) }),
    change: (s) => asOwner("PUT", "/v1/memory/embedder", JSON.parse(s.embedder!)),
    actions: ["memory.embedder"],
  },
  "POST /v1/memory/reembed": { change: () => asOwner("POST", "/v1/memory/reembed", {}), actions: ["memory.reembed"] },
  "POST /v1/memory/import": {
    setup: async () => ({ embedder: JSON.stringify(((await (await asOwner("GET", "/v1/memory/status")).json()) as { embedder: unknown }).embedder) }),
    change: (s) => {
      const text = `audited import ${unique("m")}`;
      return asOwner("POST", "/v1/memory/import", { embedder: JSON.parse(s.embedder!), memories: [{ id: `mem_${unique("a").replace(/[^a-z0-9]/g, "")}`, kind: "semantic", text, createdAt: 1_700_000_000_000, embedding: Array.from(embedOffline(text)) }] });
    },
    actions: ["memory.import"],
  },
};

async function pendingApproval(): Promise<Record<string, string>> {
  const topic = unique("audited");
  const agent = await defineAgent({ tools: [`bus:${topic}`, "work"], approve: ["bus_publish"] }, [{ tool_calls: [{ name: "bus_publish", arguments: { topic, body: {} } }] }, { content: "done" }]);
  await giveTask(agent);
  await work(agent);
  const list = (await (await asOwner("GET", `/v1/owner/approvals?agent=${agent.id}`)).json()) as { approvals: { id: string }[] };
  return { id: list.approvals[0]!.id };
}

describe("owner changes are audited", () => {
  it("every owner-only route that changes something has a case here (a new route without one fails)", () => {
    const routes = ownerChangeRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.entries(CASES).filter((e): e is [string, Case] => !("elsewhere" in e[1])))("%s writes exactly its rows", async (_route, c) => {
    const s = (await c.setup?.()) ?? {};
    const before = await head();
    const res = await c.change(s);
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    const rows = await rowsSince(before);
    expect(rows.map((r) => r.action)).toEqual(c.actions);
    for (const r of rows) {
      expect(r).toMatchObject({ actor: "root", keyId: owner.id, status: res.status });
      expect(r.detail ?? "").not.toContain(SECRET);
    }
    if (c.target) expect(JSON.parse(rows.at(-1)!.detail!)).toMatchObject({ target: c.target(s) });
  });
});
