// The push frame built from stored JSON text (lib/bus/messages-frame.ts) reads back
// exactly as the frame serialised from parsed bodies would.
import { describe, expect, it } from "vitest";
import { messagesFrame, type RawDelivered } from "../../lib/bus/messages-frame.ts";

const bodies: unknown[] = [null, 0, -1.5e300, true, "", 'q"uo\\te\n\u2028\u0000é😀', [], {}, { a: [1, { b: "c" }], "k\"ey": null }, "x".repeat(2000)];

describe("bus push frames", () => {
  it("splice the stored bodies into the frame without changing a value", () => {
    const delivered = bodies.map((body, i) => ({ id: `m${i}`, seq: i + 1, topic: "t.x", from: "k1", body, headers: (i % 2 ? { h: "v\"" } : {}) as Record<string, string>, publishedAt: 1700000000000 + i, deliveryAttempt: 1 + (i % 3), ackId: `${i + 1}.1.abcdefgh` }));
    const raw: RawDelivered[] = delivered.map((d) => ({ ...d, body: JSON.stringify(d.body) }));
    const text = messagesFrame('sub"name', raw);
    expect(JSON.parse(text)).toEqual({ type: "messages", subscription: 'sub"name', messages: delivered });
    expect(JSON.parse(messagesFrame("s", []))).toEqual({ type: "messages", subscription: "s", messages: [] });
  });
});
