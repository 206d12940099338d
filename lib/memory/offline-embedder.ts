// The built-in embedder: no network, no model file. Feature hashing of words, word pairs and
// character n-grams into a fixed number of signed buckets, L2-normalised. It captures lexical and
// morphological closeness (shared words, stems, typos), not deep meaning: for that the owner
// configures an OpenAI-compatible endpoint. Deterministic: the same text always gives the same
// vector, in Node and in workerd alike.

export const OFFLINE_MODEL = "hash-ngram-v1";
export const OFFLINE_DEFAULT_DIMENSION = 256;

// Function words carry little meaning; they still count, but far less.
const STOPWORDS = new Set(
  ("a an and are as at be been but by can did do does for from had has have he her his i if in into is it its " +
    "me my no not of on or our she so that the their them then there these they this to too up us was we were " +
    "what when where which who will with you your")
    .split(" "),
);

const WORD_WEIGHT = 1;
const STOPWORD_WEIGHT = 0.15;
const PAIR_WEIGHT = 0.6;
const CHAR_WEIGHT = 0.9; // spread over a word's n-grams
const CHAR_NS = [3, 4];
const WORDS = /[\p{L}\p{N}]+/gu;

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so the low bits are well mixed. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function addFeature(features: Map<string, number>, key: string, weight: number): void {
  features.set(key, (features.get(key) ?? 0) + weight);
}

function charGrams(features: Map<string, number>, word: string, weight: number): void {
  const padded = `<${word}>`;
  const grams: string[] = [];
  for (const n of CHAR_NS) {
    for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
  }
  if (grams.length === 0) return;
  const each = weight / Math.sqrt(grams.length);
  for (const g of grams) addFeature(features, `c:${g}`, each);
}

export function textFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const words = text.normalize("NFKC").toLowerCase().match(WORDS) ?? [];
  if (words.length === 0) {
    // Text with no letters or digits at all (e.g. "!!!"): its characters are all there is.
    const raw = text.normalize("NFKC").trim();
    if (raw) charGrams(features, raw, CHAR_WEIGHT);
    return features;
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const stop = STOPWORDS.has(w);
    addFeature(features, `w:${w}`, stop ? STOPWORD_WEIGHT : WORD_WEIGHT);
    if (!stop) charGrams(features, w, CHAR_WEIGHT);
    if (i > 0) addFeature(features, `b:${words[i - 1]} ${w}`, PAIR_WEIGHT * (stop || STOPWORDS.has(words[i - 1]!) ? 0.3 : 1));
  }
  return features;
}

/** The vector of one text: `dimension` float32 values, unit length (all zeros only for empty text). */
export function embedOffline(text: string, dimension = OFFLINE_DEFAULT_DIMENSION): Float32Array {
  const acc = new Float64Array(dimension);
  for (const [key, weight] of textFeatures(text)) {
    const h = hash32(key);
    // Repeats count sub-linearly: a word said five times is not five times as relevant.
    const w = Math.sqrt(weight);
    acc[h % dimension]! += (h & 0x80000000) !== 0 ? -w : w;
  }
  let norm = 0;
  for (const v of acc) norm += v * v;
  norm = Math.sqrt(norm);
  const out = new Float32Array(dimension);
  if (norm > 0) for (let i = 0; i < dimension; i++) out[i] = acc[i]! / norm;
  return out;
}
