/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Sovereignty: who the seed is (its Ed25519 identity), who holds root, and every way out it has
// (the owner's declared services; nothing else leaves). The full signed report — live connections
// from /proc, the running config, credentials — is made on the box by `seed audit`, outside workerd.
import type { DeclaredService } from "../../../lib/agents/declared-services.ts";
import type { PublicKeyInfo } from "../../auth/key-info.ts";
import { when } from "../format.ts";

export type Identity = { seedId: string; algorithm: string; publicKey: string; createdAt: number };

export function SovereigntyPage(props: { identity: Identity; roots: PublicKeyInfo[]; services: Record<string, DeclaredService> }) {
  const services = Object.entries(props.services);
  return (
    <>
      <h2>Identity</h2>
      <table>
        <tbody>
          <tr>
            <th scope="row">seed</th>
            <td>
              <code>{props.identity.seedId}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">{props.identity.algorithm} public key</th>
            <td>
              <code>{props.identity.publicKey}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">since</th>
            <td>{when(props.identity.createdAt)}</td>
          </tr>
        </tbody>
      </table>
      <h2>Who holds root</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">id</th>
            <th scope="col">created</th>
            <th scope="col">last use</th>
          </tr>
        </thead>
        <tbody>
          {props.roots.map((k) => (
            <tr>
              <td>{k.name}</td>
              <td>
                <code>{k.id}</code>
              </td>
              <td>{when(k.createdAt)}</td>
              <td>{when(k.lastUsedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Egress</h2>
      <p>
        The Worker's outbound network allows nothing; the only ways out are the services the owner declared
        {services.length === 0 ? ": none." : ":"}
      </p>
      {services.length > 0 ? (
        <ul>
          {services.map(([name, s]) => (
            <li>
              <b>{name}</b> → <code>{s.url}</code>
              {s.credential ? ` (credential ${s.credential})` : ""}
            </li>
          ))}
        </ul>
      ) : null}
      <p class="mute">
        The signed sovereignty report (live connections, the running configuration, stored credentials and their hosts) is made on the box: <code>scripts/seed audit</code>.
      </p>
    </>
  );
}
