// Turns free text into a safe FTS5 MATCH expression: the words only, each quoted (so nothing the
// caller types can be FTS5 syntax), any of them may match, bm25 ranks documents that match more.

const WORDS = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 32;

// Words so common that matching them alone says nothing; dropped unless nothing else is left.
const STOPWORDS = new Set(
  "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split(" "),
);

export function ftsMatchExpression(text: string): string | null {
  const words = [...new Set((text.normalize("NFKC").toLowerCase().match(WORDS) ?? []))];
  if (words.length === 0) return null;
  const content = words.filter((w) => !STOPWORDS.has(w));
  const terms = (content.length > 0 ? content : words).slice(0, MAX_TERMS);
  return terms.map((t) => `"${t}"`).join(" OR ");
}
