/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The console's pages, each made from the JSON routes a client of the API would call.
import type { Hono } from "hono";
import type { CoherenceReport } from "../../lib/mind/wire.ts";
import type { PublicKeyInfo } from "../auth/key-info.ts";
import { gate, pageStatus, render, renderError, type ConsoleContext, type ConsoleEnv, type PageStatus } from "./console-frame.tsx";
import type { Approval } from "../../lib/agents/wire.ts";
import { declaredServices } from "../../lib/agents/declared-services.ts";
import type { AuditRecord, ChainHead } from "../../lib/audit/audit-chain.ts";
import type { SubscriptionInfo, SubscriptionStats } from "../../lib/bus/wire.ts";
import type { RecallResult } from "../../lib/memory/recall.ts";
import type { Task, TaskChange } from "../../lib/mind/wire.ts";
import { AgentsPage, type AgentRow } from "./pages/agents-page.tsx";
import { AuditPage } from "./pages/audit-page.tsx";
import { BusPage } from "./pages/bus-page.tsx";
import { MembranePage, type Granted } from "./pages/membrane-page.tsx";
import { MemoryPage } from "./pages/memory-page.tsx";
import { PulsePage } from "./pages/pulse-page.tsx";
import { SovereigntyPage, type Identity } from "./pages/sovereignty-page.tsx";
import { TaskPage, WorkPage } from "./pages/work-page.tsx";

const AUDIT_TAIL = 50;

const form = async (c: ConsoleContext) => (await c.req.parseBody()) as Record<string, string | undefined>;

async function membrane(c: ConsoleContext, extra: { granted?: Granted; notice?: string; problem?: string; form?: { name: string; scopes: string; ttl: string } } = {}, status: PageStatus = 200) {
  const r = await c.var.api<{ helpers: PublicKeyInfo[] }>("GET", "/v1/owner/membrane?state=all");
  if (!r.ok) return renderError(c, "membrane", r);
  return render(c, "membrane", <MembranePage helpers={r.data.helpers.toReversed()} csrf={c.var.session.csrf} {...extra} />, status);
}

async function agents(c: ConsoleContext, extra: { notice?: string; problem?: string } = {}, status: PageStatus = 200) {
  const [list, keyList, approvals] = await Promise.all([
    c.var.api<{ agents: Omit<AgentRow, "lastSeenAt">[] }>("GET", "/v1/owner/agents"),
    c.var.api<{ keys: PublicKeyInfo[] }>("GET", "/v1/owner/keys?kind=agent&state=live"),
    c.var.api<{ approvals: Approval[] }>("GET", "/v1/owner/approvals?state=pending"),
  ]);
  if (!list.ok) return renderError(c, "agents", list);
  if (!keyList.ok) return renderError(c, "agents", keyList);
  if (!approvals.ok) return renderError(c, "agents", approvals);
  const seen = new Map(keyList.data.keys.map((k) => [k.id, k.lastUsedAt]));
  const rows = list.data.agents.map((a) => ({ ...a, lastSeenAt: seen.get(a.id) ?? null }));
  return render(c, "agents", <AgentsPage agents={rows} approvals={approvals.data.approvals} csrf={c.var.session.csrf} {...extra} />, status);
}

export function consolePages(app: Hono<ConsoleEnv>): void {
  app.get("/console/pulse", gate("pulse"), async (c) => {
    const r = await c.var.api<CoherenceReport>("GET", "/v1/mind/coherence");
    if (!r.ok) return renderError(c, "pulse", r);
    return render(c, "pulse", <PulsePage report={r.data} />);
  });

  app.get("/console/work", gate("work"), async (c) => {
    const state = c.req.query("state") ?? "";
    const capability = c.req.query("capability") ?? "";
    const q = new URLSearchParams({ limit: "100", ...(state ? { state } : {}), ...(capability ? { capability } : {}) });
    const r = await c.var.api<{ tasks: Task[] }>("GET", `/v1/work?${q}`);
    if (!r.ok) return renderError(c, "work", r);
    return render(c, "work", <WorkPage tasks={r.data.tasks} state={state} capability={capability} />);
  });
  app.get("/console/work/:id", gate("work"), async (c) => {
    const r = await c.var.api<Task & { history: TaskChange[] }>("GET", `/v1/work/${encodeURIComponent(c.req.param("id"))}`);
    if (!r.ok) return renderError(c, "work", r);
    return render(c, "work", <TaskPage task={r.data} />);
  });

  app.get("/console/agents", gate("agents"), (c) => agents(c));
  for (const decision of ["approve", "deny"] as const) {
    app.post(`/console/agents/approvals/${decision}`, gate("agents"), async (c) => {
      const id = (await form(c)).id ?? "";
      const r = await c.var.api<Approval>("POST", `/v1/owner/approvals/${encodeURIComponent(id)}/${decision}`, {});
      if (!r.ok) return agents(c, { problem: r.error.message }, pageStatus(r.status));
      return agents(c, { notice: `${r.data.tool} for ${r.data.agentName}: ${r.data.state}.` });
    });
  }

  app.get("/console/bus", gate("bus"), async (c) => {
    const r = await c.var.api<{ subscriptions: SubscriptionInfo[] }>("GET", "/v1/bus/subscriptions");
    if (!r.ok) return renderError(c, "bus", r);
    const subscriptions = await Promise.all(
      r.data.subscriptions.map(async (s) => {
        const st = await c.var.api<SubscriptionStats>("GET", `/v1/bus/subscriptions/${encodeURIComponent(s.name)}/stats`);
        return { ...s, stats: st.ok ? st.data : null };
      }),
    );
    return render(c, "bus", <BusPage subscriptions={subscriptions} />);
  });

  app.get("/console/memory", gate("memory"), async (c) => {
    const query = (c.req.query("q") ?? "").trim();
    if (!query) return render(c, "memory", <MemoryPage query="" result={null} />);
    const r = await c.var.api<RecallResult>("POST", "/v1/memory/recall", { query, k: 20 });
    if (!r.ok) return renderError(c, "memory", r);
    return render(c, "memory", <MemoryPage query={query} result={r.data} />);
  });

  app.get("/console/audit", gate("audit"), async (c) => {
    const head = await c.var.api<{ head: ChainHead }>("GET", "/v1/audit?limit=1");
    if (!head.ok) return renderError(c, "audit", head);
    const after = Math.max(0, head.data.head.seq - AUDIT_TAIL);
    const wantVerify = c.req.query("verify") !== undefined;
    const [tail, checkpoints, verify] = await Promise.all([
      c.var.api<{ rows: AuditRecord[] }>("GET", `/v1/audit?after=${after}&limit=${AUDIT_TAIL}`),
      c.var.api<{ checkpoints: unknown[] }>("GET", "/v1/audit/checkpoints"),
      wantVerify ? c.var.api<unknown>("GET", "/v1/audit/verify") : null,
    ]);
    if (!tail.ok) return renderError(c, "audit", tail);
    if (!checkpoints.ok) return renderError(c, "audit", checkpoints);
    if (verify && !verify.ok) return renderError(c, "audit", verify);
    return render(c, "audit", <AuditPage rows={tail.data.rows.toReversed()} verify={verify?.data ?? null} checkpoints={checkpoints.data.checkpoints} />);
  });

  app.get("/console/sovereignty", gate("sovereignty"), async (c) => {
    const [identity, roots] = await Promise.all([c.var.api<Identity>("GET", "/v1/identity"), c.var.api<{ keys: PublicKeyInfo[] }>("GET", "/v1/owner/keys?kind=root&state=live")]);
    if (!identity.ok) return renderError(c, "sovereignty", identity);
    if (!roots.ok) return renderError(c, "sovereignty", roots);
    return render(c, "sovereignty", <SovereigntyPage identity={identity.data} roots={roots.data.keys} services={declaredServices(c.env.SEED_SERVICES)} />);
  });

  app.get("/console/membrane", gate("membrane"), (c) => membrane(c));
  app.post("/console/membrane/grant", gate("membrane"), async (c) => {
    const f = await form(c);
    const input = { name: (f.name ?? "").trim(), scopes: (f.scopes ?? "").split(/[\s,]+/).filter(Boolean), ...(f.ttl?.trim() ? { ttl: f.ttl.trim() } : {}) };
    const r = await c.var.api<Granted>("POST", "/v1/owner/membrane", input);
    if (!r.ok) return membrane(c, { problem: r.error.message, form: { name: f.name ?? "", scopes: f.scopes ?? "", ttl: f.ttl ?? "" } }, pageStatus(r.status));
    return membrane(c, { granted: r.data }, 201);
  });
  app.post("/console/membrane/revoke", gate("membrane"), async (c) => {
    const id = (await form(c)).id ?? "";
    const r = await c.var.api<PublicKeyInfo & { disconnected: number }>("DELETE", `/v1/owner/membrane/${encodeURIComponent(id)}`);
    if (!r.ok) return membrane(c, { problem: r.error.message }, pageStatus(r.status));
    return membrane(c, { notice: `Revoked ${r.data.name} (${r.data.id}); ${r.data.disconnected} live session(s) ended.` });
  });
}
