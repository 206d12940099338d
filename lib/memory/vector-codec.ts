// Vectors as libSQL stores them: F32_BLOB is the raw little-endian float32 bytes, nothing else.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function vectorToBlob(v: Float32Array | readonly number[]): Uint8Array {
  const f = v instanceof Float32Array ? v : Float32Array.from(v);
  if (LITTLE_ENDIAN) return new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
  const out = new Uint8Array(f.length * 4);
  const view = new DataView(out.buffer);
  f.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return out;
}

/** Reads a blob as it comes back from the driver (ArrayBuffer over HTTP, a Buffer natively). */
export function blobToVector(blob: ArrayBuffer | ArrayBufferView): Float32Array {
  const bytes = blob instanceof ArrayBuffer ? new Uint8Array(blob) : new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
  if (bytes.byteLength % 4 !== 0) throw new Error(`a float32 vector blob has a multiple of 4 bytes, not ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The largest finite float32: a value beyond it would be stored as Infinity. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * The unit vector in the direction of `values`, as float32, or null when there is none: a value
 * that is not finite or beyond float32's range, or all zeros. Computed in float64 after scaling
 * by the largest magnitude, so neither huge nor tiny values overflow or vanish on the way. Every
 * stored vector is a unit vector: a caller's huge norm cannot overflow libSQL's float32 cosine
 * (which answered NaN, sorted as the nearest of all: issue 9, memory poisoning).
 */
export function unitVector(values: ArrayLike<number>): Float32Array | null {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x) || Math.abs(x) > F32_MAX) return null;
    if (Math.abs(x) > max) max = Math.abs(x);
  }
  if (max === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! / max) ** 2;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / max / norm;
  return out;
}

/** Cosine distance as libSQL's vector_distance_cos defines it: 1 − cos θ. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}
