/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The frame every console page is rendered in, and the gate that keeps a page from a key that may
// not see it.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Child } from "hono/jsx";
import type { AppEnv } from "../app-env.ts";
import type { ConsoleApi } from "./console-api.ts";
import { maySee, pageInfo, type PageName } from "./console-pages.ts";
import type { ConsoleSession } from "./console-session.ts";
import { ApiError, Layout } from "./layout.tsx";

export type ConsoleEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & { session: ConsoleSession; api: ConsoleApi; page?: PageName };
};
export type ConsoleContext = Context<ConsoleEnv>;

/** The same context seen as the app's (the console's variables are extra ones). */
export const asApp = (c: ConsoleContext) => c as unknown as Context<AppEnv>;

export function Forbidden(props: { c: ConsoleContext; what: string }) {
  const s = props.c.var.session;
  return (
    <Layout page={null} title="Not allowed" caller={s.caller} csrf={s.csrf}>
      <p class="note bad" role="alert">
        This key may not see {props.what}.
      </p>
    </Layout>
  );
}

/** Renders a page inside the frame, or the frame with the API's refusal. */
export function render(c: ConsoleContext, page: PageName, body: Child, status: PageStatus = 200) {
  const s = c.var.session;
  return c.html(
    <Layout page={page} title={pageInfo(page).title} caller={s.caller} csrf={s.csrf}>
      {body}
    </Layout>,
    status,
  );
}

export type PageStatus = 200 | 201 | 400 | 403 | 404 | 409 | 413 | 422 | 503;

/** The status a page answers with when an API call it made was refused: the same, or 503. */
export function pageStatus(status: number): PageStatus {
  return ([400, 403, 404, 409, 413, 422] as const).find((s) => s === status) ?? 503;
}

export function renderError(c: ConsoleContext, page: PageName, r: { status: number; error: { code: string; message: string } }) {
  return render(c, page, <ApiError error={r.error} status={r.status} />, pageStatus(r.status));
}

/** The page's gate: a helper without the page's scope gets 403 (and the view is audited). */
export const gate = (page: PageName) =>
  createMiddleware<ConsoleEnv>(async (c, next) => {
    c.set("page", page);
    if (!maySee(c.var.session.caller, pageInfo(page))) return c.html(<Forbidden c={c} what={`the ${page} page`} />, 403);
    return next();
  });

