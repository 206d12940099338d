/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Memory: a search box over hybrid recall (POST /v1/memory/recall), each result with its score and
// what found it (the vector index, the word index, or both) with their ranks.
import type { RecallResult } from "../../../lib/memory/recall.ts";
import { when } from "../format.ts";

export function MemoryPage(props: { query: string; result: RecallResult | null }) {
  const r = props.result;
  return (
    <>
      <form method="get" action="/console/memory" role="search">
        <label for="memory-q">Search memory</label>
        <input id="memory-q" name="q" type="search" size={50} value={props.query} />{" "}
        <button type="submit">Recall</button>
      </form>
      {r ? (
        <>
          <p class="mute">
            {r.results.length} result(s), {r.mode} recall, embedder {r.embedder.kind} {r.embedder.model} ({r.embedder.dimension} dimensions)
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">score</th>
                <th scope="col">found by</th>
                <th scope="col">text</th>
                <th scope="col">tags</th>
                <th scope="col">kind</th>
                <th scope="col">created</th>
              </tr>
            </thead>
            <tbody>
              {r.results.map((h) => (
                <tr>
                  <td class="n">{h.score.toFixed(4)}</td>
                  <td>
                    {h.foundBy.join(" + ")}
                    <br />
                    <span class="mute">
                      {h.vectorRank !== null ? `vector #${h.vectorRank} (distance ${h.distance?.toFixed(3)})` : ""}
                      {h.vectorRank !== null && h.textRank !== null ? " · " : ""}
                      {h.textRank !== null ? `words #${h.textRank} (bm25 ${h.bm25?.toFixed(2)})` : ""}
                    </span>
                  </td>
                  <td>{h.text.length > 300 ? `${h.text.slice(0, 300)}…` : h.text}</td>
                  <td>{h.tags.join(", ")}</td>
                  <td>{h.kind}</td>
                  <td>{when(h.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
