/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Bus: each subscription with its topic, backlog, in flight, oldest unacked and dead letters
// (GET /v1/bus/subscriptions and …/{name}/stats). Dead letters wait on the topic `<topic>.dead`.
import type { SubscriptionInfo, SubscriptionStats } from "../../../lib/bus/wire.ts";
import { duration } from "../format.ts";

export function BusPage(props: { subscriptions: (SubscriptionInfo & { stats: SubscriptionStats | null })[] }) {
  const topics = [...new Set(props.subscriptions.map((s) => s.topic))].sort();
  return (
    <>
      <p class="mute">
        {topics.length} topic(s) with subscriptions: {topics.join(", ") || "none"}. Dead letters are kept on the topic <code>&lt;topic&gt;.dead</code>: list them with{" "}
        <code>seed bus dead TOPIC</code>, put them back with <code>seed bus requeue TOPIC</code>.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">subscription</th>
            <th scope="col">topic</th>
            <th scope="col">backlog</th>
            <th scope="col">in flight</th>
            <th scope="col">oldest unacked</th>
            <th scope="col">dead letters</th>
            <th scope="col">max deliveries</th>
          </tr>
        </thead>
        <tbody>
          {props.subscriptions.map((s) => (
            <tr>
              <td>{s.name}</td>
              <td>{s.topic}</td>
              <td class="n">{s.stats?.backlog ?? "—"}</td>
              <td class="n">{s.stats?.inFlight ?? "—"}</td>
              <td class="n">{duration(s.stats?.oldestUnackedAgeMs)}</td>
              <td class={`n${s.stats && s.stats.deadLetters > 0 ? " bad" : ""}`}>{s.stats?.deadLetters ?? "—"}</td>
              <td class="n">{s.maxDeliveries}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
