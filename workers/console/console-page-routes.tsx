/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The console's pages, each made from the JSON routes a client of the API would call.
import type { Hono } from "hono";
import type { CoherenceReport } from "../../lib/mind/wire.ts";
import type { PublicKeyInfo } from "../auth/key-info.ts";
import { gate, pageStatus, render, renderError, type ConsoleContext, type ConsoleEnv, type PageStatus } from "./console-frame.tsx";
import { MembranePage, type Granted } from "./pages/membrane-page.tsx";
import { PulsePage } from "./pages/pulse-page.tsx";

const form = async (c: ConsoleContext) => (await c.req.parseBody()) as Record<string, string | undefined>;

async function membrane(c: ConsoleContext, extra: { granted?: Granted; notice?: string; problem?: string; form?: { name: string; scopes: string; ttl: string } } = {}, status: PageStatus = 200) {
  const r = await c.var.api<{ helpers: PublicKeyInfo[] }>("GET", "/v1/owner/membrane?state=all");
  if (!r.ok) return renderError(c, "membrane", r);
  return render(c, "membrane", <MembranePage helpers={r.data.helpers.toReversed()} csrf={c.var.session.csrf} {...extra} />, status);
}

export function consolePages(app: Hono<ConsoleEnv>): void {
  app.get("/console/pulse", gate("pulse"), async (c) => {
    const r = await c.var.api<CoherenceReport>("GET", "/v1/mind/coherence");
    if (!r.ok) return renderError(c, "pulse", r);
    return render(c, "pulse", <PulsePage report={r.data} />);
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
