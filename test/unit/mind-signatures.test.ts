// The two webhook signature schemes against their published examples, and what they must refuse.
import { describe, expect, it } from "vitest";
import { githubSecretBytes, signGithub, verifyGithub } from "../../lib/mind/github-signature.ts";
import { importHmacKey, utf8 } from "../../lib/mind/hmac.ts";
import { newStandardSecret, signStandard, standardSecretBytes, TOLERANCE_MS, verifyStandard } from "../../lib/mind/standard-webhooks.ts";

describe("GitHub X-Hub-Signature-256", () => {
  // docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries, "Testing the webhook payload validation".
  const secret = "It's a Secret to Everybody";
  const payload = "Hello, World!";
  const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("computes and accepts the documented signature", async () => {
    const key = await importHmacKey(githubSecretBytes(secret));
    expect(await signGithub(key, utf8(payload))).toBe(documented);
    expect(await verifyGithub(key, documented, utf8(payload))).toBe(true);
    expect(await verifyGithub(key, documented.toUpperCase().replace("SHA256=", "sha256="), utf8(payload))).toBe(true);
  });

  it("refuses a tampered body, another secret, and malformed or missing headers", async () => {
    const key = await importHmacKey(githubSecretBytes(secret));
    expect(await verifyGithub(key, documented, utf8("Hello, World?"))).toBe(false);
    expect(await verifyGithub(await importHmacKey(githubSecretBytes("another secret")), documented, utf8(payload))).toBe(false);
    for (const h of [undefined, null, "", "sha256=", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d", documented.slice(0, -1), `${documented}00`, documented.replace("sha256=", "")]) {
      expect(await verifyGithub(key, h, utf8(payload)), String(h)).toBe(false);
    }
  });
});

describe("Standard Webhooks v1 (HMAC-SHA256)", () => {
  // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works".
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const timestamp = 1614265330;
  const payload = '{"test": 2432232314}';
  const published = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const key = () => importHmacKey(standardSecretBytes(secret)!);
  const at = timestamp * 1000;

  it("signs the published example to the published signature and accepts it", async () => {
    expect(await signStandard(await key(), id, timestamp, utf8(payload))).toBe(published);
    expect(await verifyStandard(await key(), { id, timestamp: String(timestamp), signature: published }, utf8(payload), at)).toEqual({ ok: true, id, timestampMs: at });
    // The secret works with and without its whsec_ prefix.
    expect(standardSecretBytes(secret.slice(6))).toEqual(standardSecretBytes(secret));
  });

  it("accepts any matching v1 signature in a rotation list and ignores other versions", async () => {
    const list = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", published, "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="].join(" ");
    expect((await verifyStandard(await key(), { id, timestamp: String(timestamp), signature: list }, utf8(payload), at)).ok).toBe(true);
    const wrongVersion = published.replace("v1,", "v2,");
    expect(await verifyStandard(await key(), { id, timestamp: String(timestamp), signature: wrongVersion }, utf8(payload), at)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses bad and partial signatures, missing headers, and timestamps outside five minutes", async () => {
    const k = await key();
    const h = { id, timestamp: String(timestamp), signature: published };
    const verdict = (over: Partial<typeof h>, body = payload, now = at) => verifyStandard(k, { ...h, ...over }, utf8(body), now);
    expect(await verdict({ signature: "v1,dawfeoifkpqwoekfpqoekf" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verdict({ signature: published.slice(0, 8) })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verdict({ signature: "v1," })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verdict({}, '{"test": 2432232315}')).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verdict({ id: "msg_other" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verdict({ id: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(await verdict({ timestamp: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(await verdict({ signature: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(await verdict({ timestamp: "hello" })).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(await verdict({}, payload, at - TOLERANCE_MS - 1000)).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verdict({}, payload, at + TOLERANCE_MS + 1000)).toEqual({ ok: false, reason: "stale_timestamp" });
    expect((await verdict({}, payload, at + TOLERANCE_MS)).ok).toBe(true);
  });

  it("generates secrets of 32 random bytes in the whsec_ format; refuses short or non-base64 ones", () => {
    const s = newStandardSecret();
    expect(s).toMatch(/^whsec_/);
    expect(standardSecretBytes(s)!.byteLength).toBe(32);
    expect(newStandardSecret()).not.toBe(s);
    expect(standardSecretBytes("whsec_" + btoa("sixteen bytes!!!"))).toBeNull();
    expect(standardSecretBytes("whsec_not*base64")).toBeNull();
  });
});
