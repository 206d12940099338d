/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Audit: the ledger's tail, the chain's verification and the signed checkpoints (GET /v1/audit,
// /v1/audit/verify, /v1/audit/checkpoints — the owner's and an audit:read helper's routes).
import type { AuditRecord } from "../../../lib/audit/audit-chain.ts";
import { when } from "../format.ts";

type VerifyReport = { ok: boolean; rows: number; head: { seq: number }; checkpoints: { total: number; verified: number }; unattestedRows: number; firstBad: unknown };

function Verified(props: { report: VerifyReport }) {
  const r = props.report;
  return (
    <div class={r.ok ? "note" : "note bad"} role="status">
      <p class={r.ok ? "ok" : "bad"}>
        {r.ok ? "Chain intact" : "Chain BROKEN"}: {r.rows} rows up to seq {r.head.seq}; checkpoints verified {r.checkpoints.verified} of {r.checkpoints.total}; {r.unattestedRows} rows after the last
        checkpoint.
      </p>
      <details>
        <summary>Full report</summary>
        <pre>{JSON.stringify(r, null, 2)}</pre>
      </details>
    </div>
  );
}

export function AuditPage(props: { rows: AuditRecord[]; verify: unknown; checkpoints: unknown[] }) {
  return (
    <>
      <h2>Chain verification</h2>
      {props.verify === null ? (
        <form method="get" action="/console/audit">
          <input type="hidden" name="verify" value="1" />
          <button type="submit">Verify the whole chain and its checkpoints</button>
        </form>
      ) : (
        <Verified report={props.verify as VerifyReport} />
      )}
      <h2>Ledger tail (newest first)</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">seq</th>
            <th scope="col">at</th>
            <th scope="col">actor</th>
            <th scope="col">key</th>
            <th scope="col">action</th>
            <th scope="col">request</th>
            <th scope="col">scope</th>
            <th scope="col">status</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td class="n">{r.seq}</td>
              <td>{when(r.at)}</td>
              <td>{r.actor}</td>
              <td>
                <code>{r.keyId ?? ""}</code>
              </td>
              <td>{r.action}</td>
              <td>{r.method ? `${r.method} ${r.route}` : ""}</td>
              <td>{r.scope ?? ""}</td>
              <td class="n">{r.status ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Checkpoints ({props.checkpoints.length})</h2>
      <pre>{JSON.stringify(props.checkpoints.slice(-5), null, 2)}</pre>
    </>
  );
}
