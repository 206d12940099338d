/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Agents: outside agents (a token) and the seed's own (inside), last seen (their key's last use),
// usage today and in all, the daily token budget; approvals waiting with approve and deny
// (GET /v1/owner/agents, /v1/owner/keys?kind=agent, /v1/owner/approvals).
import type { Approval } from "../../../lib/agents/wire.ts";
import { when } from "../format.ts";
import { Notices } from "../layout.tsx";

type Usage = { tokensIn: number; tokensOut: number; steps: number; tasksDone: number; tasksFailed: number; cost: number | null };
export type AgentRow = {
  id: string;
  name: string;
  kind: "own" | "outside";
  capabilities: string[];
  createdAt: number;
  spec: { budgetTokensPerDay?: number | null; model?: string } | null;
  usage: { today: Usage; total: Usage } | null;
  pendingApprovals: number;
  lastSeenAt: number | null;
};

const tokens = (u: Usage | undefined) => (u ? `${u.tokensIn + u.tokensOut} tokens · ${u.steps} steps · ${u.tasksDone} done / ${u.tasksFailed} failed` : "—");

export function AgentsPage(props: { agents: AgentRow[]; approvals: Approval[]; csrf: string; notice?: string; problem?: string }) {
  return (
    <>
      <Notices notice={props.notice} problem={props.problem} />
      <h2>Approvals waiting ({props.approvals.length})</h2>
      {props.approvals.length === 0 ? (
        <p class="mute">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">agent</th>
              <th scope="col">tool</th>
              <th scope="col">arguments</th>
              <th scope="col">task</th>
              <th scope="col">asked</th>
              <th scope="col">decide</th>
            </tr>
          </thead>
          <tbody>
            {props.approvals.map((a) => (
              <tr>
                <td>{a.agentName}</td>
                <td>{a.tool}</td>
                <td>
                  <code>{a.arguments.length > 200 ? `${a.arguments.slice(0, 200)}…` : a.arguments}</code>
                </td>
                <td>
                  <a href={`/console/work/${encodeURIComponent(a.taskId)}`}>{a.taskId}</a>
                </td>
                <td>{when(a.requestedAt)}</td>
                <td>
                  {(["approve", "deny"] as const).map((d) => (
                    <form class="inline" method="post" action={`/console/agents/approvals/${d}`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <input type="hidden" name="id" value={a.id} />
                      <button type="submit" class={d === "deny" ? "danger" : ""} aria-label={`${d} ${a.tool} for ${a.agentName}`}>
                        {d === "approve" ? "Approve" : "Deny"}
                      </button>{" "}
                    </form>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Agents ({props.agents.length})</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">kind</th>
            <th scope="col">capabilities</th>
            <th scope="col">last seen</th>
            <th scope="col">today</th>
            <th scope="col">in all</th>
            <th scope="col">budget / day</th>
          </tr>
        </thead>
        <tbody>
          {props.agents.map((a) => (
            <tr>
              <td>
                {a.name} <code class="mute">{a.id}</code>
              </td>
              <td>{a.kind === "own" ? "inside" : "outside"}</td>
              <td>{a.capabilities.join(", ")}</td>
              <td>{when(a.lastSeenAt)}</td>
              <td>{tokens(a.usage?.today)}</td>
              <td>{tokens(a.usage?.total)}</td>
              <td>{a.spec?.budgetTokensPerDay ? `${a.spec.budgetTokensPerDay} tokens` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
