// Revoke under load: 16 concurrent clients hammer a helper route while the owner revokes the key.
// Not one request sent after the revoke call returned may succeed.
import { describe, expect, it } from "vitest";
import { callFrom, freshAddress, grantHelper } from "../support/membrane.ts";
import { asRoot } from "../support/worker-fetch.ts";

const CLIENTS = 16;

describe("revoke under load", () => {
  it("zero 2xx for requests sent after the revoke call returned (16 concurrent clients)", async () => {
    const h = await grantHelper(["status:read"], { name: "hammer" });
    let revokeReturned = false;
    let stop = false;
    const results: { afterRevoke: boolean; status: number }[] = [];
    let acceptedBefore = 0;
    let sentAfter = 0;
    // Milestones the clients reach (no polling, no sleeping): the key in use, then enough traffic after the revoke.
    let inUse!: () => void;
    const keyInUse = new Promise<void>((r) => (inUse = r));
    let enough!: () => void;
    const enoughAfter = new Promise<void>((r) => (enough = r));
    const client = async (address: string) => {
      while (!stop) {
        const afterRevoke = revokeReturned;
        if (afterRevoke && ++sentAfter >= CLIENTS * 10) stop = true;
        const res = await callFrom(address, "GET", "/v1/status", { key: h.token });
        await res.arrayBuffer();
        results.push({ afterRevoke, status: res.status });
        if (!afterRevoke && res.status === 200 && ++acceptedBefore >= CLIENTS * 2) inUse();
      }
      enough();
    };
    const clients = Array.from({ length: CLIENTS }, () => client(freshAddress()));
    await keyInUse;
    const del = await asRoot("DELETE", `/v1/owner/membrane/${h.id}`);
    expect(del.status).toBe(200);
    revokeReturned = true;
    await enoughAfter;
    await Promise.all(clients);

    const after = results.filter((r) => r.afterRevoke);
    expect(after.length).toBeGreaterThanOrEqual(CLIENTS * 10);
    expect(after.filter((r) => r.status >= 200 && r.status < 300)).toEqual([]);
    // Each refusal is a 401, or a 429 once a client has failed too often; never anything else.
    expect(after.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    expect(after.some((r) => r.status === 401)).toBe(true);
  }, 120_000); // ~7 s on a quiet 2-core machine; a generous bound for a loaded one
});
