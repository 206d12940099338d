/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The frame of every console page: navigation limited to the pages this key may see, who is signed
// in, and sign-out (a POST with the CSRF token). Plain HTML; the script only adds conveniences.
import type { Child } from "hono/jsx";
import type { Caller } from "../auth/caller.ts";
import { visiblePages, type PageName } from "./console-pages.ts";

export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · seed console`}</title>
        <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/console/assets/app.css" />
        <script src="/console/assets/app.js" defer></script>
      </head>
      <body>{props.children}</body>
    </html>
  );
}

export function Layout(props: { page: PageName | null; title: string; caller: Caller; csrf: string; children: Child }) {
  const { caller } = props;
  return (
    <Document title={props.title}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <strong>seed</strong>
        <nav aria-label="Console pages">
          {visiblePages(caller).map((p) => (
            <a href={`/console/${p.name}`} aria-current={p.name === props.page ? "page" : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="who">
          <span>
            {caller.kind === "root" ? "owner" : `helper ${caller.name}`} <code>{caller.keyId}</code>
            {caller.kind === "helper" ? " · read-only" : ""}
          </span>
          <form class="inline" method="post" action="/console/sign-out">
            <input type="hidden" name="csrf" value={props.csrf} />
            <button type="submit">Sign out</button>
          </form>
        </span>
      </header>
      <main id="main">
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

/** An API refusal shown in the page (e.g. the libSQL server is down: 503), never a stack trace. */
export function ApiError(props: { error: { code: string; message: string }; status: number }) {
  return (
    <p class="note bad" role="alert">
      {props.status} {props.error.code}: {props.error.message}
    </p>
  );
}

/** What the last action did (a status line) or why it was refused (an alert); nothing when neither. */
export function Notices(props: { notice?: string | null; problem?: string | null }) {
  return (
    <>
      {props.notice ? (
        <p class="note" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.problem ? (
        <p class="note bad" role="alert">
          {props.problem}
        </p>
      ) : null}
    </>
  );
}
