import { describe, expect, it, vi } from "vitest";
import { digestsEqual, KEY_KINDS, mintKey, parseKey, randomHex, randomId, sha256Hex } from "../../lib/keys.ts";

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
    expect(digestsEqual("", "")).toBe(true);
  });

  it("a digest that differs only in its first, a middle or its last character is not equal", async () => {
    // Issue 16: `diff = …` instead of `diff |= …` compared only the last character and passed
    // every other test. Every position, and every bit of a character, must count.
    const right = await sha256Hex("the right secret");
    for (const at of [0, 1, 31, 32, 62, 63]) {
      for (const bit of [1, 2, 4, 8, 16, 32, 64]) {
        const wrong = right.slice(0, at) + String.fromCharCode(right.charCodeAt(at) ^ bit) + right.slice(at + 1);
        expect(digestsEqual(wrong, right), `position ${at}, bit ${bit}`).toBe(false);
        expect(digestsEqual(right, wrong), `position ${at}, bit ${bit}`).toBe(false);
      }
    }
    expect(digestsEqual(right, `${right}`)).toBe(true);
    // Every character wrong but the last (what a last-character-only compare would accept).
    const allButLast = [...right.slice(0, -1)].map((c) => (c === "0" ? "1" : "0")).join("") + right.at(-1);
    expect(digestsEqual(allButLast, right)).toBe(false);
  });

  it("a prefix or an extension of the right digest is not equal", async () => {
    const right = await sha256Hex("x");
    expect(digestsEqual(right.slice(0, 63), right)).toBe(false);
    expect(digestsEqual(right, right.slice(0, 63))).toBe(false);
    expect(digestsEqual(`${right}0`, right)).toBe(false);
    expect(digestsEqual("", right)).toBe(false);
  });

  it("sha256Hex is SHA-256 in lowercase hex, of text as UTF-8 and of bytes as given", async () => {
    // FIPS 180-2 test vectors.
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("é")).toBe(await sha256Hex(new Uint8Array([0xc3, 0xa9])));
    // Leading zero bytes keep their two hex digits.
    expect(await sha256Hex(new Uint8Array([0x00]))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  });

  it("random hex is the asked number of bytes, two lowercase digits each, leading zeros kept", () => {
    for (const n of [1, 16, 32]) expect(randomHex(n)).toMatch(new RegExp(`^[0-9a-f]{${2 * n}}$`));
    const many = Array.from({ length: 400 }, () => randomHex(1));
    expect(many.some((h) => h.startsWith("0"))).toBe(true); // 0x00..0x0f: 1 in 16 each, ~25 expected
    expect(new Set(many).size).toBeGreaterThan(100);
  });

  it("random ids use all 36 characters and respect the asked length", () => {
    expect(randomId(1)).toMatch(/^[a-z0-9]$/);
    expect(randomId(40)).toMatch(/^[a-z0-9]{40}$/);
    const seen = new Set(Array.from({ length: 300 }, () => randomId()).join(""));
    expect(seen.size).toBe(36);
  });

  it("random ids reject the bytes 252..255 (which would favour a..d) and draw again", () => {
    // Driven randomness: a first draw of only rejected bytes, then 0, 1, 2 … which map to a, b, c ….
    let call = 0;
    const spy = vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const bytes = array as unknown as Uint8Array;
      for (let i = 0; i < bytes.length; i++) bytes[i] = call === 0 ? 252 + (i % 4) : i + 36;
      call++;
      return array;
    });
    try {
      expect(randomId(6)).toBe("abcdef");
      expect(call).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("only the three kinds, exact lengths, lowercase: anything else does not parse", () => {
    const id = "abcdefghij012345";
    const secret = "0123456789abcdef".repeat(4);
    for (const kind of KEY_KINDS) expect(parseKey(`seed_${kind}_${id}_${secret}`)).toEqual({ kind, id, secret });
    expect(KEY_KINDS).toEqual(["root", "agent", "helper"]);
    for (const t of [
      `seed_root_${id}_${secret}x`,
      `seed_root_${id}_${secret.slice(1)}`,
      `seed_root_${id}x_${secret}`,
      `seed_root_${id.slice(1)}_${secret}`,
      `seed_root_${id}_${secret.toUpperCase()}`,
      `seed_root_${id}_${secret.slice(1)}g`,
      `xseed_root_${id}_${secret}`,
      `seed_root_${id}_${secret}\n`,
      `seed_roots_${id}_${secret}`,
      `seed__${id}_${secret}`,
      `seed_root_${id.slice(1)}-_${secret}`,
    ]) {
      expect(parseKey(t), t).toBeNull();
    }
  });

  it("minted keys: a fresh id and secret each time, the token made of them", async () => {
    const a = await mintKey("agent");
    const b = await mintKey("agent");
    expect(a.kind).toBe("agent");
    expect(a.token).toBe(`seed_agent_${a.id}_${a.secret}`);
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
    expect(a.secret).toMatch(/^[0-9a-f]{64}$/);
  });
});
