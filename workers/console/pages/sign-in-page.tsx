/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Sign-in: the key is typed once into this form (POST, never a URL) and exchanged for a session.
import { Document, Notices } from "../layout.tsx";

export function SignInPage(props: { pre: string; problem?: string; notice?: string }) {
  return (
    <Document title="Sign in">
      <main id="main">
        <h1>seed console</h1>
        <Notices notice={props.notice} problem={props.problem} />
        <form method="post" action="/console/sign-in">
          <input type="hidden" name="pre" value={props.pre} />
          <label for="key">Key (the owner's root key or a helper key)</label>
          <input id="key" name="key" type="password" autocomplete="off" required size={60} autofocus />
          <p>
            <button type="submit">Sign in</button>
          </p>
        </form>
      </main>
    </Document>
  );
}
