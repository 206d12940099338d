// The bus's lease arithmetic (lib/bus/lease.ts): exact values, since redelivery timing, ack ids
// and the alarm that must not spin all follow from them.
import { describe, expect, it } from "vitest";
import { ackIdSeq, BACKOFF_BASE_MS, BACKOFF_MAX_MS, isExhausted, LEASE_WAKE_GRAIN_MS, leaseEnd, makeAckId, nackDue, nextLeaseWake, pushCredit, redeliveryBackoff } from "../../lib/bus/lease.ts";

describe("redelivery backoff", () => {
  it("is 0 before a retry, then 1 s doubling to a 60 s cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(redeliveryBackoff)).toEqual([0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(redeliveryBackoff(50)).toBe(BACKOFF_MAX_MS);
    expect(BACKOFF_BASE_MS).toBe(1000);
  });

  it("a lease ends after the deadline plus the backoff of the next attempt", () => {
    expect(leaseEnd(10_000, 30_000, 1)).toBe(10_000 + 30_000 + 1000);
    expect(leaseEnd(10_000, 500, 2)).toBe(10_000 + 500 + 2000);
    expect(leaseEnd(0, 100, 30)).toBe(100 + 60_000);
  });

  it("a nack is due after its delay (never before now)", () => {
    expect(nackDue(5000)).toBe(5000);
    expect(nackDue(5000, 250)).toBe(5250);
    expect(nackDue(5000, -10)).toBe(5000);
  });

  it("a message is dead once it was delivered maxDeliveries times", () => {
    expect(isExhausted(4, 5)).toBe(false);
    expect(isExhausted(5, 5)).toBe(true);
    expect(isExhausted(6, 5)).toBe(true);
    expect(isExhausted(0, 1)).toBe(false);
    expect(isExhausted(1, 1)).toBe(true);
  });
});

describe("ack ids", () => {
  it("carry the seq, read back exactly", () => {
    expect(makeAckId(42, 3, "abc123de")).toBe("42.3.abc123de");
    expect(ackIdSeq("42.3.abc123de")).toBe(42);
    expect(ackIdSeq(makeAckId(123456789012345, 1, "x"))).toBe(123456789012345);
  });

  it("anything else is not an ack id", () => {
    for (const bad of ["", "42", "42.3", "0.1.a", "-1.1.a", "1e3.1.a", "01.1.a", "1.0.a", "1.1.", "1.1.A", "1.1.a.b", " 1.1.a", "1.1.a\n", "1234567890123456.1.a"]) {
      expect(ackIdSeq(bad), bad).toBeNull();
    }
  });
});

describe("push credit", () => {
  it("is the window minus what is in flight, never negative", () => {
    expect(pushCredit(10, 0)).toBe(10);
    expect(pushCredit(10, 9)).toBe(1);
    expect(pushCredit(10, 10)).toBe(0);
    expect(pushCredit(2, 5)).toBe(0);
  });
});

describe("the next lease wake-up", () => {
  it("is the earliest lease end strictly after now", () => {
    expect(nextLeaseWake([3000, 2000, null, 5000], 1000)).toBe(2000);
    expect(nextLeaseWake([], 1000)).toBeNull();
    expect(nextLeaseWake([null, null], 1000)).toBeNull();
  });

  it("never a lease already past (the spin of issue 9 item 12), nor one ending exactly now", () => {
    expect(nextLeaseWake([500, 999, 1000], 1000)).toBeNull();
    expect(nextLeaseWake([500, 1001], 1000)).toBe(2000);
  });

  it("is rounded up to the grain, so leases handed out within one grain share one alarm time", () => {
    expect(LEASE_WAKE_GRAIN_MS).toBe(1000);
    expect(nextLeaseWake([30_001], 0)).toBe(31_000);
    expect(nextLeaseWake([30_999], 0)).toBe(31_000);
    expect(nextLeaseWake([31_000], 0)).toBe(31_000);
    expect(nextLeaseWake([3500, 2100, 5000], 1000)).toBe(3000);
  });
});
