// The memory benchmark's corpus: deterministic, topic-structured texts with common words and ids,
// and queries drawn from the same topics. Shared by bench/memory.ts and its index-tuning runs.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = "ka lo mi ren tor vel sa qui dan po li mer zu an ti ro fen gal hu ber nis o cas tel vor pan di".split(" ");
const COMMON = (
  "the a of to and in for on with is was customer order invoice payment team meeting report server deploy error fixed " +
  "shipped delayed review plan budget request ticket user account email call week today yesterday morning because after " +
  "before new old failed passed approved rejected sent received"
).split(" ");
const KINDS = ["episodic", "semantic", "procedural"] as const;

export type CorpusMemory = { text: string; tags: string[]; kind: (typeof KINDS)[number]; source: string };

export function corpus(n: number, queries: number): { memories: CorpusMemory[]; queries: string[] } {
  const rnd = mulberry32(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const word = () => Array.from({ length: 2 + Math.floor(rnd() * 2) }, () => pick(SYLLABLES)).join("");
  const topics = Array.from({ length: 200 }, () => Array.from({ length: 25 }, word));
  const memories = Array.from({ length: n }, (_, i) => {
    const t = Math.floor(rnd() * topics.length);
    const other = topics[Math.floor(rnd() * topics.length)]!;
    const words = Array.from({ length: 8 + Math.floor(rnd() * 18) }, () => {
      const r = rnd();
      return r < 0.45 ? pick(topics[t]!) : r < 0.55 ? pick(other) : r < 0.95 ? pick(COMMON) : `#${Math.floor(rnd() * 100_000)}`;
    });
    return { text: words.join(" "), tags: [`topic-${t}`], kind: KINDS[i % 3]!, source: "bench" };
  });
  const asks = Array.from({ length: queries }, () => {
    const t = topics[Math.floor(rnd() * topics.length)]!;
    return Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => (rnd() < 0.7 ? pick(t) : pick(COMMON))).join(" ");
  });
  return { memories, queries: asks };
}
