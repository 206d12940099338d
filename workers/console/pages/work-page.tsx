/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Work: the ledger filtered by state and capability (GET /v1/work), and one task with its history
// (GET /v1/work/{id}).
import { TASK_STATES, type Task, type TaskChange } from "../../../lib/mind/wire.ts";
import { when } from "../format.ts";

export function WorkPage(props: { tasks: Task[]; state: string; capability: string }) {
  return (
    <>
      <form method="get" action="/console/work">
        <label for="work-state">State</label>
        <select id="work-state" name="state">
          <option value="">any</option>
          {TASK_STATES.map((s) => (
            <option value={s} selected={s === props.state}>
              {s}
            </option>
          ))}
        </select>
        <label for="work-capability">Capability</label>
        <input id="work-capability" name="capability" value={props.capability} />
        <p>
          <button type="submit">Filter</button>
        </p>
      </form>
      <p class="mute">{props.tasks.length} task(s), newest first (at most 100).</p>
      <table>
        <thead>
          <tr>
            <th scope="col">task</th>
            <th scope="col">capability</th>
            <th scope="col">state</th>
            <th scope="col">assignee</th>
            <th scope="col">created</th>
            <th scope="col">updated</th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((t) => (
            <tr>
              <td>
                <a href={`/console/work/${encodeURIComponent(t.id)}`}>{t.title}</a>
              </td>
              <td>{t.capability}</td>
              <td>{t.state}</td>
              <td>{t.assignee ?? "—"}</td>
              <td>{when(t.createdAt)}</td>
              <td>{when(t.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function TaskPage(props: { task: Task & { history: TaskChange[] } }) {
  const t = props.task;
  return (
    <>
      <p>
        <a href="/console/work">← all work</a>
      </p>
      <table>
        <tbody>
          {(
            [
              ["id", t.id],
              ["title", t.title],
              ["capability", t.capability],
              ["state", t.state],
              ["source", t.source],
              ["origin", t.origin],
              ["assignee", t.assignee ?? "—"],
              ["attempts", String(t.attempts)],
              ["created", when(t.createdAt)],
              ["deadline", when(t.deadline)],
              ["finished", when(t.finishedAt)],
              ["reason", t.reason ?? "—"],
            ] as const
          ).map(([k, v]) => (
            <tr>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>History</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">at</th>
            <th scope="col">state</th>
            <th scope="col">by</th>
            <th scope="col">note</th>
          </tr>
        </thead>
        <tbody>
          {t.history.map((h) => (
            <tr>
              <td>{when(h.at)}</td>
              <td>{h.state}</td>
              <td>{h.actor}</td>
              <td>{h.note ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
