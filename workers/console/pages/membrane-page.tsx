/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Membrane: the provider's helper keys with scopes, expiry and last use; grant (the key is shown
// once, in the answer to the grant, never in a URL) and revoke. From /v1/owner/membrane.
import { HELPER_SCOPES } from "../../../lib/membrane/helper-scopes.ts";
import type { PublicKeyInfo } from "../../auth/key-info.ts";
import { when } from "../format.ts";
import { Notices } from "../layout.tsx";

export type Granted = { id: string; name: string; scopes: string[]; expiresAt: number | null; token: string };

export function MembranePage(props: { helpers: PublicKeyInfo[]; csrf: string; granted?: Granted; notice?: string; problem?: string; form?: { name: string; scopes: string; ttl: string } }) {
  const f = props.form ?? { name: "", scopes: "", ttl: "" };
  return (
    <>
      {props.granted ? (
        <div class="note" role="status">
          <p>
            Helper key <b>{props.granted.name}</b> granted ({props.granted.scopes.join(" ")}). Copy it now: it is shown only this once.
          </p>
          <p>
            <code class="token" id="granted-token">
              {props.granted.token}
            </code>{" "}
            <button type="button" data-copy="granted-token">
              Copy
            </button>
          </p>
        </div>
      ) : null}
      <Notices notice={props.notice} problem={props.problem} />
      <h2>Helper keys</h2>
      {props.helpers.length === 0 ? (
        <p class="mute">No helper key has been granted.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">id</th>
              <th scope="col">scopes</th>
              <th scope="col">state</th>
              <th scope="col">expires</th>
              <th scope="col">last use</th>
              <th scope="col">
                <span class="skip">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.helpers.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>{k.id}</code>
                </td>
                <td>{k.scopes.join(" ")}</td>
                <td class={k.state === "live" ? "ok" : "mute"}>{k.state}</td>
                <td>{k.expiresAt === null ? "never" : when(k.expiresAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.state === "live" ? (
                    <form class="inline" method="post" action="/console/membrane/revoke" data-confirm={`Revoke ${k.name}? Its sessions end at once.`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <input type="hidden" name="id" value={k.id} />
                      <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Grant a helper key</h2>
      <form method="post" action="/console/membrane/grant">
        <input type="hidden" name="csrf" value={props.csrf} />
        <label for="grant-name">Name</label>
        <input id="grant-name" name="name" required maxlength={64} value={f.name} />
        <label for="grant-scopes">Scopes (separated by spaces)</label>
        <input id="grant-scopes" name="scopes" required size={60} value={f.scopes} aria-describedby="scopes-help" />
        <p id="scopes-help" class="mute">
          {HELPER_SCOPES.map((s) => s.example).join(" · ")}
        </p>
        <label for="grant-ttl">Lifetime (optional: 90m, 12h, 30d)</label>
        <input id="grant-ttl" name="ttl" size={8} value={f.ttl} />
        <p>
          <button type="submit">Grant</button>
        </p>
      </form>
    </>
  );
}
