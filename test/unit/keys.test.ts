import { describe, expect, it } from "vitest";
import { digestsEqual, mintKey, parseKey, randomId, sha256Hex } from "../../lib/keys.ts";

describe("keys", () => {
  it("mints keys that parse back, storing only the hash of the secret", async () => {
    const k = await mintKey("helper");
    expect(k.token).toMatch(/^seed_helper_[a-z0-9]{16}_[a-f0-9]{64}$/);
    expect(parseKey(k.token)).toEqual({ kind: "helper", id: k.id, secret: k.secret });
    expect(k.secretHash).toBe(await sha256Hex(k.secret));
    expect(k.secretHash).not.toContain(k.secret);
  });

  it("rejects anything that is not a seed key", () => {
    for (const t of ["", "seed_root_x_y", "seed_owner_aaaaaaaaaaaaaaaa_" + "a".repeat(64), "seed_root_AAAAAAAAAAAAAAAA_" + "a".repeat(64), "Bearer x"]) {
      expect(parseKey(t), t).toBeNull();
    }
  });

  it("ids are random and well-formed", () => {
    const ids = new Set(Array.from({ length: 200 }, () => randomId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{16}$/);
  });

  it("compares digests exactly", () => {
    expect(digestsEqual("abc", "abc")).toBe(true);
    expect(digestsEqual("abc", "abd")).toBe(false);
    expect(digestsEqual("abc", "abcd")).toBe(false);
  });
});
