// Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each list votes 1/(c + rank)
// for what it found, so methods whose scores are not comparable (cosine distance, bm25) can be
// fused by rank alone.

export const RRF_C = 60;

export type Fused<M extends string> = { id: string; score: number; ranks: Partial<Record<M, number>> };

/**
 * Fuses ranked lists of ids (best first). Ties are broken by the best single rank, then by id,
 * so the order never depends on storage details such as rowids.
 */
export function reciprocalRankFusion<M extends string>(lists: Record<M, readonly string[]>, c = RRF_C): Fused<M>[] {
  const byId = new Map<string, Fused<M>>();
  for (const method of Object.keys(lists) as M[]) {
    lists[method].forEach((id, i) => {
      const rank = i + 1;
      let f = byId.get(id);
      if (!f) {
        f = { id, score: 0, ranks: {} };
        byId.set(id, f);
      }
      if (f.ranks[method] !== undefined) return; // a list that repeats an id votes once
      f.ranks[method] = rank;
      f.score += 1 / (c + rank);
    });
  }
  const best = (f: Fused<M>) => Math.min(...(Object.values(f.ranks) as number[]));
  return [...byId.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
