// The fast path for publish and ack frames (lib/bus/frame-fast.ts) says yes only where the
// schema does, and then to the very value the schema gives back; everything else falls to zod.
import { describe, expect, it } from "vitest";
import { fastFrame } from "../../lib/bus/frame-fast.ts";
import { parseFrame } from "../../lib/bus/frame.ts";
import { ClientFrame } from "../../lib/bus/wire.ts";

const publish = (over: Record<string, unknown> = {}, message: Record<string, unknown> = { body: { n: 1 } }) => ({ type: "publish", topic: "orders.eu", messages: [message], ...over });
const ack = (over: Record<string, unknown> = {}) => ({ type: "ack", subscription: "billing", ackIds: ["1.1.abcdefgh"], ...over });

const frames: unknown[] = [
  publish(),
  publish({ ref: "r1" }),
  publish({ ref: "x".repeat(64) }),
  publish({ ref: "x".repeat(65) }),
  publish({ ref: 7 }),
  publish({ topic: "" }),
  publish({ topic: "Orders" }),
  publish({ topic: "a".repeat(128) }),
  publish({ topic: "a".repeat(129) }),
  publish({ topic: "orders\n" }),
  publish({ topic: 5 }),
  publish({ messages: [] }),
  publish({ messages: Array.from({ length: 1000 }, (_, i) => ({ body: i })) }),
  publish({ messages: Array.from({ length: 1001 }, (_, i) => ({ body: i })) }),
  publish({ messages: "no" }),
  publish({ messages: [null] }),
  publish({ messages: [[1]] }),
  publish({ extra: 1 }),
  publish({}, { body: null }),
  publish({}, { body: 0 }),
  publish({}, { body: "" }),
  publish({}, {}),
  publish({}, { key: "k" }),
  publish({}, { body: 1, key: "" }),
  publish({}, { body: 1, key: "k".repeat(256) }),
  publish({}, { body: 1, key: "k".repeat(257) }),
  publish({}, { body: 1, key: 3 }),
  publish({}, { body: 1, headers: { a: "b" } }),
  publish({}, { body: 1, headers: { a: 1 } }),
  publish({}, { body: 1, other: true }),
  JSON.parse('{"type":"publish","topic":"t","messages":[{"body":1}],"__proto__":{"x":1}}'),
  JSON.parse('{"type":"publish","topic":"t","messages":[{"body":1,"__proto__":{"x":1}}]}'),
  ack(),
  ack({ ackIds: Array.from({ length: 1000 }, (_, i) => `a${i}`) }),
  ack({ ackIds: Array.from({ length: 1001 }, (_, i) => `a${i}`) }),
  ack({ ackIds: [] }),
  ack({ ackIds: [""] }),
  ack({ ackIds: ["x".repeat(200)] }),
  ack({ ackIds: ["x".repeat(201)] }),
  ack({ ackIds: [1] }),
  ack({ ackIds: "a" }),
  ack({ subscription: "Bad" }),
  ack({ subscription: "" }),
  ack({ extra: 1 }),
  { type: "nack", subscription: "billing", ackIds: ["a"] },
  { type: "subscribe", subscription: "billing" },
  { type: "ping" },
  { type: "publish" },
  null,
  [],
  "publish",
];

describe("bus frames: the fast path", () => {
  it("accepts only what the schema accepts, and gives back what the schema gives back", () => {
    for (const f of frames) {
      const fast = fastFrame(f);
      const slow = ClientFrame.safeParse(f);
      if (fast !== undefined) {
        expect(slow.success, JSON.stringify(f).slice(0, 200)).toBe(true);
        expect(fast).toEqual(slow.data);
      }
    }
  });

  it("takes the plain publish and ack frames (what a busy socket sends)", () => {
    for (const f of [publish(), publish({ ref: "r1" }), publish({}, { body: { n: 1 }, key: "k" }), publish({ messages: Array.from({ length: 50 }, (_, i) => ({ body: i })) }), ack()]) {
      expect(fastFrame(f)).toBe(f);
    }
  });

  it("leaves every error to the schema, which words it", () => {
    const r = parseFrame(JSON.stringify(publish({ topic: "Orders" })));
    expect(r).toMatchObject({ ok: false, error: { status: 422, code: "invalid_frame" } });
    expect(r.ok ? "" : r.error.message).toMatch(/topic/);
    expect(parseFrame(JSON.stringify(publish({}, { body: 1, headers: { a: "b" } })))).toMatchObject({ ok: true, frame: { messages: [{ body: 1, headers: { a: "b" } }] } });
  });
});
