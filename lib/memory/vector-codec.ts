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

export function l2Normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n === 0) return v;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
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
