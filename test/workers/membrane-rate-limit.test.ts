import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mintKey } from "../../lib/keys.ts";
import { TooManyRequestsError } from "../../lib/errors.ts";
import { FailedAuthLimiter, FailureBuckets, clientAddress, failedAuth } from "../../workers/auth/failed-auth-limiter.ts";
import { callFrom, freshAddress, grantHelper } from "../support/membrane.ts";
import { bindings } from "../support/worker-fetch.ts";

const wrongSecret = (token: string) => token.replace(/_[a-f0-9]{64}$/, `_${"0".repeat(64)}`);

async function outcome(res: Response) {
  return { status: res.status, retryAfter: res.headers.get("Retry-After"), body: await res.json() };
}

describe("failed-authentication limiter (pure, injected clock)", () => {
  it("a bucket allows its burst, then refills at its rate", () => {
    const b = new FailureBuckets({ burst: 3, refillPerSecond: 0.5 });
    for (let i = 0; i < 3; i++) {
      expect(b.blockedFor("k", 1000)).toBe(0);
      b.fail("k", 1000);
    }
    expect(b.blockedFor("k", 1000)).toBe(2000);
    expect(b.blockedFor("k", 2999)).toBeGreaterThan(0);
    expect(b.blockedFor("k", 3000)).toBe(0);
    expect(b.hasFailed("k", 3000)).toBe(true);
    expect(b.hasFailed("k", 1000 + 6000)).toBe(false);
  });

  it("holds at most maxEntries buckets, forgetting the least recently failed", () => {
    const b = new FailureBuckets({ burst: 1, refillPerSecond: 1 }, 2);
    b.fail("a", 0);
    b.fail("b", 0);
    b.fail("c", 0);
    expect(b.size).toBe(2);
    expect(b.blockedFor("a", 0)).toBe(0);
    expect(b.blockedFor("c", 0)).toBeGreaterThan(0);
  });

  it("a key id's failures hold back only addresses that failed themselves", () => {
    const l = new FailedAuthLimiter({ burst: 100, refillPerSecond: 1 }, { burst: 2, refillPerSecond: 0.01 });
    l.fail("1.1.1.1", "k", 0);
    l.fail("2.2.2.2", "k", 0);
    expect(() => l.check("1.1.1.1", "k", 0)).toThrow(TooManyRequestsError);
    expect(() => l.check("3.3.3.3", "k", 0)).not.toThrow();
    expect(() => l.check(null, "k", 0)).toThrow(TooManyRequestsError);
    expect(() => l.check("1.1.1.1", "other", 0)).not.toThrow();
  });

  it("reads workerd's cf.clientIp without its port", () => {
    const req = (ip?: string) => new Request("http://x/", ip ? ({ cf: { clientIp: ip } } as RequestInit) : {});
    expect(clientAddress(req("203.0.113.9:51234"))).toBe("203.0.113.9");
    expect(clientAddress(req("[2001:db8::1]:443"))).toBe("2001:db8::1");
    expect(clientAddress(req("2001:db8::1"))).toBe("2001:db8::1");
    expect(clientAddress(req())).toBeNull();
  });
});

describe("failed-authentication limiter (through the Worker)", () => {
  // The Worker's limiter is this module's instance (one isolate): its clock stands still here,
  // so no bucket refills while a slow machine sends the failures.
  let now = 1_900_000_000_000;
  beforeEach(() => {
    failedAuth.clock = () => now;
  });
  afterEach(() => {
    failedAuth.clock = () => Date.now();
  });

  it("per address: 60 failures, then 429 with Retry-After for everything from that address, other addresses unaffected", async () => {
    const a = freshAddress();
    for (let i = 0; i < 60; i++) {
      const k = await mintKey("helper"); // a fresh, unknown key id every time
      expect((await callFrom(a, "GET", "/v1/status", { key: k.token })).status).toBe(401);
    }
    const blocked = await outcome(await callFrom(a, "GET", "/v1/status", { key: (await mintKey("helper")).token }));
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ error: { code: "too_many_failures" } });
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    // The address is shed before any key is looked at, the owner's included.
    expect((await callFrom(a, "GET", "/v1/owner/whoami", { key: bindings.TEST_ROOT_KEY })).status).toBe(429);
    expect((await callFrom(freshAddress(), "GET", "/v1/owner/whoami", { key: bindings.TEST_ROOT_KEY })).status).toBe(200);
    // A second later the address has earned one try back.
    now += 1000;
    expect((await callFrom(a, "GET", "/v1/owner/whoami", { key: bindings.TEST_ROOT_KEY })).status).toBe(200);
  });

  it("per key id: 30 failures from anywhere, then 429 for failing addresses; the holder at a clean address still gets in", async () => {
    const h = await grantHelper(["status:read"]);
    const dirty: string[] = [];
    for (let i = 0; i < 30; i++) {
      const addr = freshAddress();
      dirty.push(addr);
      expect((await callFrom(addr, "GET", "/v1/status", { key: wrongSecret(h.token) })).status).toBe(401);
    }
    expect((await callFrom(dirty[0]!, "GET", "/v1/status", { key: wrongSecret(h.token) })).status).toBe(429);
    expect((await callFrom(dirty[0]!, "GET", "/v1/status", { key: h.token })).status).toBe(429);
    expect((await callFrom(freshAddress(), "GET", "/v1/status", { key: h.token })).status).toBe(200);
  });

  it("never says whether a key id exists: a real id and an unknown one fail the same way, step for step", async () => {
    const real = await grantHelper(["status:read"]);
    const unknown = await mintKey("helper");
    const run = async (token: string) => {
      const addr = freshAddress();
      const seen = [];
      for (let i = 0; i < 32; i++) seen.push(await outcome(await callFrom(addr, "GET", "/v1/status", { key: token })));
      return seen.map((o) => ({ ...o, retryAfter: o.retryAfter === null ? null : "set" }));
    };
    const a = await run(wrongSecret(real.token));
    const b = await run(unknown.token);
    expect(a).toEqual(b);
    expect(a[0]!.status).toBe(401);
    expect(a.at(-1)!.status).toBe(429);
  });
});
