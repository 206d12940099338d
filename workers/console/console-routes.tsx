/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The console: HTML pages served by the Worker itself at / and /console/*, rendered on the server
// from the seed's own JSON routes (workers/console/console-api.ts). Sign-in exchanges a key for a
// session cookie (console-session.ts); every state change carries the CSRF token and comes from
// this origin; a helper key sees only the pages its scopes open, read-only, each view audited.
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { canonicalDetail } from "../../lib/audit/audit-chain.ts";
import { errorBody, ForbiddenError, HttpError, PayloadTooLargeError, UnauthorizedError } from "../../lib/errors.ts";
import { randomHex } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import { recordAudit } from "../audit/audit-client.ts";
import type { Caller } from "../auth/caller.ts";
import { authenticateGuarded } from "../auth/guarded-authenticate.ts";
import { presentedAs } from "../auth/presented-key.ts";
import type { Dispatch } from "../mcp/mcp-handler.ts";
import { CONSOLE_CSS, CONSOLE_ICON, CONSOLE_JS } from "./console-assets.ts";
import { consoleApi } from "./console-api.ts";
import { pageInfo, visiblePages } from "./console-pages.ts";
import { closeSession, COOKIE_PATH, csrfMatches, openSession, readSession } from "./console-session.ts";
import { asApp, type ConsoleEnv, Forbidden } from "./console-frame.tsx";
import { consolePages } from "./console-page-routes.tsx";
import { SignInPage } from "./pages/sign-in-page.tsx";

/** No script or style from anywhere but the seed; no inline script; no framing; forms post here only. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PRE_COOKIE = "seed_console_pre";
/** A console form is a few fields; a grant's scopes list is the largest. */
const FORM_LIMIT = 16 * 1024;

const headers = createMiddleware<ConsoleEnv>(async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CONSOLE_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("X-Frame-Options", "DENY");
  // Not no-referrer: under it Chromium sends `Origin: null` with the console's own forms.
  c.header("Referrer-Policy", "same-origin");
  c.header("Cross-Origin-Opener-Policy", "same-origin");
  if (!c.req.path.startsWith("/console/assets/")) c.header("Cache-Control", "no-store");
});

const formLimit = bodyLimit({
  maxSize: FORM_LIMIT,
  onError: () => {
    throw new PayloadTooLargeError(`a console form is at most ${FORM_LIMIT} bytes`);
  },
});

/** A state change must come from a page of this console: same origin (the browser says so). */
function sameOrigin(c: Context<ConsoleEnv>): void {
  const origin = c.req.header("Origin");
  const site = c.req.header("Sec-Fetch-Site");
  if ((origin !== undefined && origin !== new URL(c.req.url).origin) || (site !== undefined && site !== "same-origin" && site !== "none")) {
    throw new ForbiddenError("a console form must be sent from the console's own pages", "cross_origin");
  }
}

async function formOf(c: Context<ConsoleEnv>): Promise<Record<string, string>> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type) && !/^multipart\/form-data\s*;/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "send the console's forms as application/x-www-form-urlencoded");
  }
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Signed in, with a live key; a state change also carries the CSRF token (and a helper makes none). */
function requireSession(dispatch: Dispatch) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    const state = await readSession(asApp(c));
    if (!state.session) {
      if (c.req.method === "GET") return c.redirect(`/console/sign-in${state.ended ? "?ended=1" : ""}`, 303);
      throw new UnauthorizedError(state.ended ? "the console session has ended: sign in again" : "sign in to the console first", "no_session");
    }
    const session = state.session;
    c.set("session", session);
    c.set("caller", session.caller);
    c.set("api", consoleApi(asApp(c), session.caller, dispatch));
    if (c.req.method !== "GET") {
      sameOrigin(c);
      const form = await formOf(c);
      if (!csrfMatches(session, form.csrf)) throw new ForbiddenError("the form's CSRF token is missing or wrong: reload the page", "csrf");
      if (session.caller.kind !== "root" && c.req.path !== "/console/sign-out") throw new ForbiddenError("a helper key's console is read-only", "read_only");
    }
    if (session.caller.kind !== "helper") return next();
    const at = Date.now();
    await next();
    // A helper's page views are audited like its API calls: before the page leaves, or not at all.
    const page = c.get("page");
    try {
      await recordAudit(c.env, [
        { at, actor: "helper", keyId: session.caller.keyId, action: "request", method: c.req.method, route: c.req.path, scope: page ? pageInfo(page).helperScope : null, status: c.res.status, detail: canonicalDetail({ via: "console" }) },
      ]);
    } catch {
      console.error(`audit write failed for a helper console view of ${c.req.path}`);
      c.res = c.json(errorBody("audit_unavailable", "the audit ledger could not record this request"), 503);
    }
  });
}

async function signIn(c: Context<ConsoleEnv>) {
  sameOrigin(c);
  const form = await formOf(c);
  const pre = getCookie(c, PRE_COOKIE);
  if (!pre || form.pre !== pre) throw new ForbiddenError("the sign-in form is stale or was not sent from this console: reload it", "csrf");
  const again = (problem: string, status: 401 | 403) => c.html(<SignInPage pre={pre} problem={problem} />, status);
  const key = (form.key ?? "").trim();
  // The same check as a key in the Authorization header: libSQL, the failed-auth limiter (429), the
  // per-address failure summary in the audit ledger.
  let caller: Caller | null;
  try {
    caller = await authenticateGuarded(asApp(c), presentedAs(`Bearer ${key}`));
  } catch (err) {
    if (!(err instanceof HttpError) || (err.status !== 401 && err.status !== 400)) throw err;
    caller = null;
  }
  if (!caller) return again("That key is not valid (unknown, revoked or expired).", 401);
  if (caller.kind === "agent") return again("The console is for the owner's root key and helper keys; an agent key cannot sign in.", 403);
  await recordAudit(c.env, [
    { at: Date.now(), actor: caller.kind, keyId: caller.keyId, action: "console.sign-in", method: "POST", route: c.req.path, scope: null, status: 303, detail: null },
  ]);
  await openSession(asApp(c), caller);
  const first = visiblePages(caller)[0];
  return c.redirect(first ? `/console/${first.name}` : "/console/none", 303);
}

export function consoleRoutes(dispatch: Dispatch) {
  const app = new Hono<ConsoleEnv>();
  app.get("/", (c) => c.redirect("/console/pulse", 302));
  app.use("/console/*", headers);
  app.use("/console", headers);
  app.get("/console", (c) => c.redirect("/console/pulse", 302));
  app.get("/console/assets/app.css", (c) => c.body(CONSOLE_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=300" }));
  app.get("/console/assets/app.js", (c) => c.body(CONSOLE_JS, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "max-age=300" }));
  app.get("/console/assets/icon.svg", (c) => c.body(CONSOLE_ICON, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "max-age=300" }));
  app.get("/console/sign-in", (c) => {
    const pre = randomHex(16);
    setCookie(c, PRE_COOKIE, pre, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: new URL(c.req.url).protocol === "https:" });
    const ended = c.req.query("ended") !== undefined;
    return c.html(<SignInPage pre={pre} notice={ended ? "Your session has ended (signed out, expired, or its key was revoked)." : undefined} />);
  });
  app.post("/console/sign-in", formLimit, signIn);
  app.use("/console/*", formLimit, requireSession(dispatch));
  app.post("/console/sign-out", async (c) => {
    await closeSession(asApp(c), c.var.session);
    return c.redirect("/console/sign-in?ended=1", 303);
  });
  app.get("/console/none", (c) => c.html(<Forbidden c={c} what="any page: it holds no scope a console page reads" />, 403));
  consolePages(app);
  return app;
}
