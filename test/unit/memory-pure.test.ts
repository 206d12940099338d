// The pure parts of memory: the offline embedder, rank fusion, the FTS5 query builder, the
// vector codec and the input limits.
import { describe, expect, it } from "vitest";
import { PayloadTooLargeError, UnprocessableError } from "../../lib/errors.ts";
import { ftsMatchExpression } from "../../lib/memory/fts-query.ts";
import { checkEmbedding, checkText, MAX_TEXT_BYTES } from "../../lib/memory/memory-input.ts";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";
import { reciprocalRankFusion } from "../../lib/memory/rrf.ts";
import { blobToVector, cosineDistance, F32_MAX, unitVector, vectorToBlob } from "../../lib/memory/vector-codec.ts";

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("offline embedder", () => {
  it("is deterministic, unit length and of the asked dimension", () => {
    const a = embedOffline("The invoices for ACME were sent on Monday");
    const b = embedOffline("The invoices for ACME were sent on Monday");
    expect(a.length).toBe(256);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(embedOffline("hello world", 64).length).toBe(64);
    expect(norm(embedOffline("!!!", 32))).toBeCloseTo(1, 5); // no words: characters still count
  });

  it("puts related wording closer than unrelated text (stems, typos, shared words)", () => {
    const d = (x: string, y: string) => cosineDistance(embedOffline(x), embedOffline(y));
    const query = "invoicing problems with acme";
    expect(d(query, "ACME invoices could not be sent")).toBeLessThan(d(query, "the weather in Lisbon was sunny"));
    expect(d("recieved payment", "payment received")).toBeLessThan(d("recieved payment", "deploy failed"));
    expect(d("deployment failed", "the deploy failed again")).toBeLessThan(d("deployment failed", "lunch with the team"));
  });

  it("weighs function words far less than content words", () => {
    const d = (x: string, y: string) => cosineDistance(embedOffline(x), embedOffline(y));
    expect(d("the of and to invoices", "invoices")).toBeLessThan(d("the of and to invoices", "the of and to"));
  });
});

describe("reciprocal rank fusion", () => {
  it("ranks what both methods found above what one found, and says who found what", () => {
    const fused = reciprocalRankFusion({ vector: ["a", "b", "c"], text: ["c", "d"] });
    expect(fused.map((f) => f.id)).toEqual(["c", "a", "b", "d"]); // b and d tie: rank 2 each, then id
    expect(fused[0]).toEqual({ id: "c", score: 1 / 63 + 1 / 61, ranks: { vector: 3, text: 1 } });
    expect(fused[1]!.ranks).toEqual({ vector: 1 });
  });

  it("breaks ties by best rank, then by id, never by input order", () => {
    const one = reciprocalRankFusion({ vector: ["x", "y"], text: ["y", "x"] });
    const two = reciprocalRankFusion({ vector: ["y", "x"], text: ["x", "y"] });
    expect(one.map((f) => f.id)).toEqual(["x", "y"]);
    expect(two.map((f) => f.id)).toEqual(["x", "y"]);
    expect(reciprocalRankFusion({ vector: [], text: [] })).toEqual([]);
  });
});

describe("FTS5 query", () => {
  it("quotes words so no input is FTS5 syntax, and drops stopwords while others remain", () => {
    expect(ftsMatchExpression('refund for "INV-20931" NEAR(x) OR *')).toBe('"refund" OR "inv" OR "20931" OR "near" OR "x"');
    expect(ftsMatchExpression("the of")).toBe('"the" OR "of"');
    expect(ftsMatchExpression("!!! ---")).toBeNull();
    expect(ftsMatchExpression("Café CAFÉ café")).toBe('"café"');
  });
});

describe("vector codec", () => {
  it("round-trips float32 exactly through the blob and through JSON numbers", () => {
    const v = embedOffline("round trip", 48);
    expect(vectorToBlob(v).byteLength).toBe(48 * 4);
    expect(Array.from(blobToVector(vectorToBlob(v)))).toEqual(Array.from(v));
    const viaJson = Float32Array.from(JSON.parse(JSON.stringify(Array.from(v))) as number[]);
    expect(Array.from(viaJson)).toEqual(Array.from(v));
    expect(() => blobToVector(new Uint8Array(5))).toThrow(/multiple of 4/);
  });
});

describe("input limits", () => {
  it("empty text is 422, text over 64 KiB is 413, exactly 64 KiB passes", () => {
    expect(() => checkText("  \n")).toThrow(UnprocessableError);
    expect(() => checkText("x".repeat(MAX_TEXT_BYTES + 1))).toThrow(PayloadTooLargeError);
    expect(() => checkText("é".repeat(MAX_TEXT_BYTES / 2 + 1))).toThrow(PayloadTooLargeError); // 2 bytes each
    expect(() => checkText("x".repeat(MAX_TEXT_BYTES))).not.toThrow();
  });

  it("a vector of another dimension, or of zeros, or beyond float32, is 422", () => {
    expect(() => checkEmbedding([1, 2, 3], 4)).toThrow(/3 dimensions; the active embedder has 4/);
    expect(() => checkEmbedding([0, 0], 2)).toThrow(/all zeros/);
    for (const bad of [1e39, -1e39, F32_MAX * 1.0000001, Infinity, NaN]) {
      const err = (() => {
        try {
          checkEmbedding([bad, 1], 2);
        } catch (e) {
          return e;
        }
      })();
      expect(err, String(bad)).toBeInstanceOf(UnprocessableError);
      expect((err as UnprocessableError).code).toBe("invalid_embedding");
    }
    expect(Array.from(checkEmbedding([0, 1], 2))).toEqual([0, 1]);
  });

  it("every accepted vector is stored as a unit vector, whatever its norm", () => {
    for (const scale of [F32_MAX, 1e30, 1, 1e-30, 1e-300, 5e-324]) {
      const v = checkEmbedding(Array.from({ length: 256 }, (_, i) => scale * (i % 2 ? 1 : -1)), 256);
      expect(norm(v), String(scale)).toBeCloseTo(1, 5);
      expect(v[0]).toBeCloseTo(-1 / 16, 6);
    }
    expect(norm(checkEmbedding([F32_MAX, F32_MAX, 1], 3))).toBeCloseTo(1, 5);
    expect(unitVector([3, 4])).toEqual(Float32Array.from([0.6, 0.8]));
    expect(unitVector([0, 0])).toBeNull();
  });
});
