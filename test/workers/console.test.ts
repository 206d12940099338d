// The console (issue 14) inside the real Worker: sign-in and its session cookie, CSRF and origin
// refusals, the Content-Security-Policy, scope-limited read-only pages for a helper key with every
// view audited, and a revoked key's session ending at its next request.
import { describe, expect, it, onTestFinished } from "vitest";
import { eq } from "drizzle-orm";
import { openDb } from "../../lib/db/client.ts";
import { keys } from "../../lib/db/schema.ts";
import { consoleSessions } from "../../lib/db/schema-console.ts";
import { sha256Hex } from "../../lib/keys.ts";
import { failedAuth } from "../../workers/auth/failed-auth-limiter.ts";
import { forgetKeys } from "../../workers/auth/key-cache.ts";
import { auditOf, grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, newAgent, unique } from "../support/worker-fetch.ts";
import type { Approval } from "../../lib/agents/wire.ts";
import { defineAgent, giveTask, work } from "./agents-support.ts";
import { Browser, freshBrowser } from "./console-support.ts";

const root = () => bindings.TEST_ROOT_KEY;
const db = () => openDb(bindings);

async function signedIn(key = root()): Promise<Browser> {
  const b = freshBrowser();
  const res = await b.signIn(key);
  expect(res.status).toBe(303);
  return b;
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("console sign-in", () => {
  it("serves / as a redirect to the pulse, and the pages only after sign-in", async () => {
    const b = freshBrowser();
    const home = await b.get("/");
    expect(home.status).toBe(302);
    expect(home.headers.get("Location")).toBe("/console/pulse");
    const pulse = await b.get("/console/pulse");
    expect(pulse.status).toBe(303);
    expect(pulse.headers.get("Location")).toBe("/console/sign-in");
    const form = await b.page("/console/sign-in");
    expect(form).toMatch(/<label for="key">/);
    expect(form).toMatch(/<form method="post" action="\/console\/sign-in">/);
  });

  it("exchanges the root key for an HttpOnly SameSite=Strict cookie whose id libSQL keeps only as a hash", async () => {
    const b = freshBrowser();
    const res = await b.signIn(root());
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/console/pulse");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("seed_console="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).not.toMatch(/Secure/); // plain http here; over TLS see below
    const id = b.cookies.get("seed_console")!;
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(res.headers.get("Location")).not.toContain(root());
    const rows = await db().select().from(consoleSessions).where(eq(consoleSessions.idHash, await sha256Hex(id))).all();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(await db().select().from(consoleSessions).all())).not.toContain(id);
    const html = await b.page("/console/pulse");
    expect(html).toContain("regime");
    expect(html).not.toContain(root());
  });

  it("sets the cookie Secure when the console is served over TLS", async () => {
    const b = freshBrowser("https://seed.test");
    const res = await b.signIn(root());
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().find((c) => c.startsWith("seed_console="))).toMatch(/Secure/);
  });

  it("refuses a wrong key (401) and an agent key (403) with the form again, and opens no session", async () => {
    const b = freshBrowser();
    const bad = await b.signIn(`seed_root_${"a".repeat(16)}_${"0".repeat(64)}`);
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain("not valid");
    const agent = await newAgent("console");
    const res = await b.signIn(agent.token);
    expect(res.status).toBe(403);
    expect(b.cookies.has("seed_console")).toBe(false);
  });

  it("counts failed sign-ins like failed keys: after 60 from one address, 429 with Retry-After, and a right key still signs in", async () => {
    const b = freshBrowser();
    const html = await b.page("/console/sign-in");
    const pre = /name="pre" value="([a-f0-9]+)"/.exec(html)![1]!;
    // The Worker's limiter is this module's instance (one isolate): its clock stands still here.
    const now = failedAuth.clock();
    failedAuth.clock = () => now;
    onTestFinished(() => {
      failedAuth.clock = () => Date.now();
    });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await b.post("/console/sign-in", { pre, key: `seed_root_${String(i).padStart(16, "b")}_${"0".repeat(64)}` })).status); // a new key id each: the address limit
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    const shed = await b.post("/console/sign-in", { pre, key: "not a key" });
    expect(shed.status).toBe(429);
    expect(shed.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect((await b.post("/console/sign-in", { pre, key: root() })).status).toBe(303);
  });

  it("refuses a sign-in posted from another origin or without the form's token", async () => {
    const b = freshBrowser();
    await b.page("/console/sign-in");
    const noPre = await b.post("/console/sign-in", { key: root() });
    expect(noPre.status).toBe(403);
    expect(await errorCode(noPre)).toBe("csrf");
    const html = await b.page("/console/sign-in");
    const pre = /name="pre" value="([a-f0-9]+)"/.exec(html)![1]!;
    const cross = await b.post("/console/sign-in", { key: root(), pre }, { Origin: "http://evil.test" });
    expect(cross.status).toBe(403);
    expect(await errorCode(cross)).toBe("cross_origin");
    expect(b.cookies.has("seed_console")).toBe(false);
  });

  it("signs out: the session row is gone and the old cookie opens nothing", async () => {
    const b = await signedIn();
    const id = b.cookies.get("seed_console")!;
    const out = await b.post("/console/sign-out", { csrf: await b.csrf() });
    expect(out.status).toBe(303);
    expect(await db().select().from(consoleSessions).where(eq(consoleSessions.idHash, await sha256Hex(id))).all()).toHaveLength(0);
    b.cookies.set("seed_console", id);
    expect((await b.get("/console/pulse")).status).toBe(303);
  });
});

describe("console headers and CSRF", () => {
  it("answers every page with a strict Content-Security-Policy and no caching", async () => {
    const b = await signedIn();
    for (const path of ["/console/sign-in", "/console/pulse", "/console/membrane"]) {
      const res = await b.get(path);
      const csp = res.headers.get("Content-Security-Policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      // Under no-referrer Chromium sends `Origin: null` with a same-origin form (seen in test/system/console.test.ts).
      expect(res.headers.get("Referrer-Policy")).toBe("same-origin");
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc="\/console\/assets\/)/); // no inline script
      expect(html).not.toMatch(/\son[a-z]+="/); // no inline handlers
      expect(html).not.toMatch(/https?:\/\//); // nothing from outside
    }
    const js = await b.get("/console/assets/app.js");
    expect(js.headers.get("Content-Type")).toMatch(/javascript/);
  });

  it("refuses a state change without the CSRF token, with a wrong one, or from another origin", async () => {
    const b = await signedIn();
    const before = (await (await asRoot("GET", "/v1/owner/membrane?state=all")).json()) as { helpers: unknown[] };
    const missing = await b.post("/console/membrane/grant", { name: "csrf probe", scopes: "status:read" });
    expect(missing.status).toBe(403);
    expect(await errorCode(missing)).toBe("csrf");
    const wrong = await b.post("/console/membrane/grant", { name: "csrf probe", scopes: "status:read", csrf: "0".repeat(64) });
    expect(wrong.status).toBe(403);
    const csrf = await b.csrf();
    const cross = await b.post("/console/membrane/grant", { name: "csrf probe", scopes: "status:read", csrf }, { Origin: "http://evil.test" });
    expect(cross.status).toBe(403);
    expect(await errorCode(cross)).toBe("cross_origin");
    const site = await b.post("/console/membrane/grant", { name: "csrf probe", scopes: "status:read", csrf }, { "Sec-Fetch-Site": "cross-site" });
    expect(site.status).toBe(403);
    const after = (await (await asRoot("GET", "/v1/owner/membrane?state=all")).json()) as { helpers: unknown[] };
    expect(after.helpers.length).toBe(before.helpers.length);
    // Without a session a POST is 401 (JSON), never a redirect that could be followed.
    const anon = await freshBrowser().post("/console/membrane/grant", { name: "x", scopes: "status:read", csrf });
    expect(anon.status).toBe(401);
  });

  it("refuses a form that is too large (413) or not a form (415)", async () => {
    const b = await signedIn();
    const csrf = await b.csrf();
    const big = await b.post("/console/membrane/grant", { csrf, name: "big", scopes: "x".repeat(20_000) });
    expect(big.status).toBe(413);
    const json = await b.fetch("POST", "/console/membrane/grant", { raw: JSON.stringify({ csrf }), headers: { "Content-Type": "application/json" } });
    expect(json.status).toBe(415);
  });
});

describe("console membrane page", () => {
  it("grants a helper key, shown once, and revokes it: the key stops working at once", async () => {
    const b = await signedIn();
    const csrf = await b.csrf();
    const granted = await b.post("/console/membrane/grant", { csrf, name: "console grant", scopes: "status:read coherence:read", ttl: "1h" });
    expect(granted.status).toBe(201);
    const html = await granted.text();
    const token = /id="granted-token">(seed_helper_[a-z0-9]{16}_[a-f0-9]{64})</.exec(html)![1]!;
    expect((await fetchWith(token, "/v1/status")).status).toBe(200);
    const listed = await b.page("/console/membrane");
    expect(listed).toContain("console grant");
    expect(listed).not.toContain(token); // shown only in the answer to the grant
    const id = token.split("_")[2]!;
    const revoked = await b.post("/console/membrane/revoke", { csrf, id });
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toContain(`Revoked console grant (${id})`);
    expect((await fetchWith(token, "/v1/status")).status).toBe(401);
    const again = await b.post("/console/membrane/revoke", { csrf, id });
    expect(again.status).toBe(409);
  });

  it("shows the API's refusal of a bad grant (422) with the form kept", async () => {
    const b = await signedIn();
    const res = await b.post("/console/membrane/grant", { csrf: await b.csrf(), name: "bad scopes", scopes: "keys:write" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("not a helper scope");
    expect(html).toContain('value="bad scopes"');
  });
});

describe("console for a helper key", () => {
  it("shows only the pages its scopes open, read-only, and audits every view", async () => {
    const helper = await grantHelper(["coherence:read"]);
    const b = await signedIn(helper.token);
    const pulse = await b.page("/console/pulse");
    expect(pulse).toContain("regime");
    expect(pulse).toContain('href="/console/pulse"');
    expect(pulse).not.toContain('href="/console/membrane"');
    expect(pulse).toContain("read-only");
    await b.page("/console/membrane", 403);
    const grant = await b.post("/console/membrane/grant", { csrf: await b.csrf(), name: "by a helper", scopes: "status:read" });
    expect(grant.status).toBe(403);
    expect(await errorCode(grant)).toBe("read_only");
    const rows = (await auditOf(helper.id)).filter((r) => r.route?.startsWith("/console/"));
    const seen = rows.map((r) => `${r.method} ${r.route} ${r.status} ${r.scope}`);
    expect(seen).toContain("GET /console/pulse 200 coherence:read");
    expect(seen).toContain("GET /console/membrane 403 null");
    expect(rows.every((r) => r.actor === "helper" && r.keyId === helper.id)).toBe(true);
    expect((await auditOf(helper.id)).some((r) => r.action === "console.sign-in")).toBe(true);
  });

  it("ends the helper's session at its next request once the key is revoked, and deletes its rows", async () => {
    const helper = await grantHelper(["coherence:read"]);
    const b = await signedIn(helper.token);
    await b.page("/console/pulse");
    const res = await asRoot("DELETE", `/v1/owner/membrane/${helper.id}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { disconnected: number }).disconnected).toBeGreaterThanOrEqual(1);
    expect(await db().select().from(consoleSessions).where(eq(consoleSessions.keyId, helper.id)).all()).toHaveLength(0);
    const after = await b.get("/console/pulse");
    expect(after.status).toBe(303);
    expect(after.headers.get("Location")).toBe("/console/sign-in?ended=1");
  });

  it("ends the session even if its row outlived the revoke (the key is re-checked on every request)", async () => {
    const helper = await grantHelper(["coherence:read"]);
    const b = await signedIn(helper.token);
    const id = b.cookies.get("seed_console")!;
    // Revoke in libSQL only (and the key cache, as revokeKeys does right after the commit), as if
    // closing the sessions had failed after the commit.
    await db().update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, helper.id));
    forgetKeys([helper.id]);
    expect(await db().select().from(consoleSessions).where(eq(consoleSessions.idHash, await sha256Hex(id))).all()).toHaveLength(1);
    expect((await b.get("/console/pulse")).status).toBe(303);
    expect(await db().select().from(consoleSessions).where(eq(consoleSessions.idHash, await sha256Hex(id))).all()).toHaveLength(0);
  });
});

const fetchWith = (key: string, path: string) => call("GET", path, { key });

describe("console pages", () => {
  it("renders every page for the owner from the JSON routes", async () => {
    const remembered = await asRoot("POST", "/v1/memory", { text: "the console remembers the blue heron", tags: ["console"] });
    expect(remembered.status).toBe(201);
    const topic = `console-${Date.now().toString(36)}`;
    expect((await asRoot("PUT", `/v1/bus/subscriptions/${topic}-sub`, { topic })).status).toBeLessThan(300);
    const created = await asRoot("POST", "/v1/work", { title: "console task", capability: "console-cap" });
    expect(created.status).toBe(201);
    const task = (await created.json()) as { id: string };
    const b = await signedIn();
    const work = await b.page("/console/work?capability=console-cap");
    expect(work).toContain("console task");
    expect(await b.page("/console/work?state=done&capability=console-cap")).not.toContain("console task");
    const one = await b.page(`/console/work/${task.id}`);
    expect(one).toContain("History");
    expect(one).toContain("console-cap");
    await b.page("/console/work/no-such-task", 404);
    expect(await b.page("/console/work?state=bogus", 422)).toContain("query.state");
    const memory = await b.page("/console/memory?q=blue+heron");
    expect(memory).toContain("the console remembers the blue heron");
    expect(memory).toMatch(/vector|text/);
    expect(await b.page("/console/bus")).toContain(`${topic}-sub`);
    expect(await b.page("/console/agents")).toContain("Approvals waiting");
    const audit = await b.page("/console/audit");
    expect(audit).toContain("membrane.grant");
    const verified = await b.page("/console/audit?verify=1");
    expect(verified).toContain("Chain intact");
    const sov = await b.page("/console/sovereignty");
    expect(sov).toContain("Who holds root");
    expect(sov).toContain(bindings.TEST_ROOT_KEY.split("_")[2]!);
    expect(sov).not.toContain(bindings.TEST_ROOT_KEY);
  });

  it("gives a helper with work:read and audit:read those pages and nothing else", async () => {
    const helper = await grantHelper(["work:read", "audit:read"]);
    const b = await signedIn(helper.token);
    const work = await b.page("/console/work");
    for (const p of ["work", "audit"]) expect(work).toContain(`href="/console/${p}"`);
    for (const p of ["pulse", "agents", "bus", "memory", "membrane", "sovereignty"]) expect(work).not.toContain(`href="/console/${p}"`);
    await b.page("/console/audit");
    for (const p of ["pulse", "agents", "bus", "memory", "sovereignty"]) await b.page(`/console/${p}`, 403);
    const seen = (await auditOf(helper.id)).filter((r) => r.route?.startsWith("/console/")).map((r) => `${r.route} ${r.status}`);
    expect(seen).toEqual(expect.arrayContaining(["/console/work 200", "/console/audit 200", "/console/agents 403", "/console/bus 403"]));
  });
});

describe("console agents page", () => {
  it("lists an approval waiting and approves or denies it from the page (CSRF-checked)", async () => {
    const topic = unique("console-gated");
    const agent = await defineAgent({ tools: [`bus:${topic}`, "work"], approve: ["bus_publish"] }, [
      { tool_calls: [{ name: "bus_publish", arguments: { topic, body: { n: 1 } } }] },
      { content: "done" },
    ]);
    await giveTask(agent);
    await work(agent);
    const pending = async () => ((await (await asRoot("GET", `/v1/owner/approvals?agent=${agent.id}&state=all`)).json()) as { approvals: Approval[] }).approvals;
    const [a] = await pending();
    const b = await signedIn();
    const html = await b.page("/console/agents");
    expect(html).toContain(agent.name);
    expect(html).toContain("inside");
    expect(html).toContain(`aria-label="approve bus_publish for ${agent.name}"`);
    expect((await b.post("/console/agents/approvals/approve", { id: a!.id })).status).toBe(403); // no CSRF token
    expect((await pending())[0]!.state).toBe("pending");
    const approved = await b.post("/console/agents/approvals/approve", { id: a!.id, csrf: await b.csrf() });
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain("bus_publish for");
    expect((await pending())[0]).toMatchObject({ state: "approved", decidedBy: "owner" });
    const again = await b.post("/console/agents/approvals/deny", { id: a!.id, csrf: await b.csrf() });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already");
  });
});
