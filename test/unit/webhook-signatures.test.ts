// The webhook signature helpers at their edges (complements mind-signatures.test.ts): strict
// base64 (atob alone accepts spaces and throws on bad padding), a timestamp that is digits only,
// the five-minute tolerance in plain numbers, and keys that cannot be exported.
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../../lib/base64.ts";
import { bytesEqual, hmacSha256, importHmacKey, utf8 } from "../../lib/mind/hmac.ts";
import { githubSecretBytes, signGithub, verifyGithub } from "../../lib/mind/github-signature.ts";
import { signStandard, TOLERANCE_MS, verifyStandard } from "../../lib/mind/standard-webhooks.ts";

const NOW = 1_800_000_000_000;
const key = () => importHmacKey(utf8("a webhook secret of at least 24 bytes"));

describe("strict base64", () => {
  it("decodes the standard alphabet with or without padding", () => {
    expect(fromBase64("QUJD")).toEqual(utf8("ABC"));
    expect(fromBase64("QUI=")).toEqual(utf8("AB"));
    expect(fromBase64("QUI")).toEqual(utf8("AB"));
    expect(fromBase64("")).toEqual(new Uint8Array(0));
  });

  it("refuses what atob would forgive or choke on: spaces anywhere, bad padding, other alphabets", () => {
    for (const bad of [" QUJD", "QUJD ", "QUJD  ", "QU JD", "QUJD\n", "QQ=", "Q===", "QUJD=A", "QUJ-", "QUJ_", "QUJDR"]) {
      expect(fromBase64(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("compares equal bytes as equal and anything else as different", () => {
    expect(bytesEqual(utf8("abc"), utf8("abc"))).toBe(true);
    for (const other of ["abd", "bbc", "ab", "abcd", ""]) expect(bytesEqual(utf8("abc"), utf8(other)), other).toBe(false);
  });

  it("an imported HMAC key cannot be exported again", async () => {
    expect((await key()).extractable).toBe(false);
  });
});

describe("Standard Webhooks timestamps", () => {
  const sign = async (id: string, timestampText: string, body: Uint8Array) =>
    `v1,${toBase64(await hmacSha256(await key(), new Uint8Array([...utf8(`${id}.${timestampText}.`), ...body])))}`;

  it("a timestamp with anything but digits is refused even when it is signed as sent", async () => {
    const body = utf8("{}");
    const now = String(NOW / 1000);
    for (const ts of [` ${now}`, `${now} `, `+${now}`, `${now}.0`, `0x${(NOW / 1000).toString(16)}`]) {
      const verdict = await verifyStandard(await key(), { id: "msg_1", timestamp: ts, signature: await sign("msg_1", ts, body) }, body, NOW);
      expect(verdict, ts).toEqual({ ok: false, reason: "bad_timestamp" });
    }
    expect(await verifyStandard(await key(), { id: "msg_1", timestamp: now, signature: await sign("msg_1", now, body) }, body, NOW)).toMatchObject({ ok: true });
  });

  it("accepts five minutes either way and not a second more", async () => {
    expect(TOLERANCE_MS).toBe(300_000);
    const body = utf8("{}");
    for (const [offsetSec, ok] of [[-300, true], [300, true], [-301, false], [301, false]] as const) {
      const ts = NOW / 1000 + offsetSec;
      const verdict = await verifyStandard(await key(), { id: "m", timestamp: String(ts), signature: await signStandard(await key(), "m", ts, body) }, body, NOW);
      expect(verdict.ok, `${offsetSec} s`).toBe(ok);
    }
  });
});

describe("GitHub X-Hub-Signature-256", () => {
  it("only the exact `sha256=` prefix: the right HMAC behind another prefix is refused", async () => {
    const k = await importHmacKey(githubSecretBytes("It's a Secret to Everybody"));
    const body = utf8("Hello, World!");
    const header = await signGithub(k, body);
    expect(await verifyGithub(k, header, body)).toBe(true);
    expect(await verifyGithub(k, `sha256=${header.slice(7).toUpperCase()}`, body)).toBe(true); // hex in either case
    for (const other of [header.replace("sha256=", "SHA256="), header.replace("sha256=", "sha512="), header.replace("sha256=", "sha256:"), ` ${header}`, `${header} `]) {
      expect(await verifyGithub(k, other, body), other).toBe(false);
    }
  });
});
