// Failed authentication is rate-limited per client address and per key id: after its burst, an
// address's failures are answered 429 instead of 401 (workers/auth/guarded-authenticate.ts). One module-level
// limiter is enough: workerd runs the seed's Worker in one isolate, so every request sees it.
// (Under a multi-isolate runtime each isolate would limit on its own: looser, never wrong.)

export type BucketPolicy = { burst: number; refillPerSecond: number };

/** Token buckets keyed by a string: a failure takes a token; none left means blocked. */
export class FailureBuckets {
  readonly policy: BucketPolicy;
  readonly maxEntries: number;
  #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(policy: BucketPolicy, maxEntries = 10_000) {
    this.policy = policy;
    this.maxEntries = maxEntries;
  }

  #tokens(key: string, now: number): number {
    const b = this.#buckets.get(key);
    if (!b) return this.policy.burst;
    return Math.min(this.policy.burst, b.tokens + ((now - b.at) / 1000) * this.policy.refillPerSecond);
  }

  /** 0 when the key may try; otherwise the milliseconds until it may. */
  blockedFor(key: string, now: number): number {
    const t = this.#tokens(key, now);
    return t >= 1 ? 0 : Math.ceil(((1 - t) / this.policy.refillPerSecond) * 1000);
  }

  /** Whether this key has failed and not yet earned all its tokens back. */
  hasFailed(key: string, now: number): boolean {
    return this.#tokens(key, now) < this.policy.burst;
  }

  fail(key: string, now: number): void {
    const tokens = this.#tokens(key, now) - 1;
    this.#buckets.delete(key); // re-insert: the Map's order is then least recently failed first
    if (this.#buckets.size >= this.maxEntries) this.#buckets.delete(this.#buckets.keys().next().value!);
    this.#buckets.set(key, { tokens, at: now });
  }

  get size(): number {
    return this.#buckets.size;
  }

  clear(): void {
    this.#buckets.clear();
  }
}

/** Per address: a burst of 60 failures, then one a second. */
export const ADDRESS_POLICY: BucketPolicy = { burst: 60, refillPerSecond: 1 };
/** Per key id: a burst of 30 failures, then one every two seconds. */
export const KEY_ID_POLICY: BucketPolicy = { burst: 30, refillPerSecond: 0.5 };

export class FailedAuthLimiter {
  readonly byAddress: FailureBuckets;
  readonly byKeyId: FailureBuckets;
  /** The limiter's time; tests replace it instead of waiting for buckets to refill. */
  clock: () => number = () => Date.now();

  constructor(address = ADDRESS_POLICY, keyId = KEY_ID_POLICY) {
    this.byAddress = new FailureBuckets(address);
    this.byKeyId = new FailureBuckets(keyId);
  }

  /**
   * 0 when a failure from this address for this key id may still be answered 401; otherwise the
   * milliseconds until it may (answer 429). Asked only after a key failed: a correct key is never
   * refused. The key id is whatever the presented token claims: the limiter never looks it up, so
   * a 429 says nothing about whether such a key exists. An address with a clean record is never
   * held back by a key id's failures.
   */
  check(address: string | null, keyId: string | null, now: number): number {
    const byAddress = address ? this.byAddress.blockedFor(address, now) : 0;
    const suspect = address === null || this.byAddress.hasFailed(address, now);
    const byKey = keyId && suspect ? this.byKeyId.blockedFor(keyId, now) : 0;
    return Math.max(byAddress, byKey);
  }

  fail(address: string | null, keyId: string | null, now: number): void {
    if (address) this.byAddress.fail(address, now);
    if (keyId) this.byKeyId.fail(keyId, now);
  }

  clear(): void {
    this.byAddress.clear();
    this.byKeyId.clear();
  }
}

export const failedAuth = new FailedAuthLimiter();

/**
 * The client's address as workerd saw the connection (`request.cf.clientIp`, port removed).
 * workerd sets it on every request that came through a socket; null means the request did not
 * (a service binding, a test), and then only the key id is limited.
 */
export function clientAddress(req: Request): string | null {
  const ip = (req as Request & { cf?: { clientIp?: unknown } }).cf?.clientIp;
  if (typeof ip !== "string" || ip === "") return null;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (v6) return v6[1]!;
  return /^[\d.]+:\d+$/.test(ip) ? ip.slice(0, ip.lastIndexOf(":")) : ip;
}
