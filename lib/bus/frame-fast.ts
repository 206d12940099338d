// The two frames a busy socket sends all the time — publish and ack — accepted without zod when
// they are plainly valid. In workerd zod cannot compile its checks (no eval), and ClientFrame
// .safeParse was a tenth of the Bus's CPU per one-message publish frame (bench/bus.ts profile).
// This only ever says yes to what ClientFrame accepts, and then to a value ClientFrame would give
// back unchanged (no unknown keys to strip); everything else — anything unusual, every error —
// goes to the schema, which decides and words the error. test/unit/bus-frame-fast.test.ts holds
// the two to the same answers.
import type { ClientFrame } from "./wire.ts";
import { MAX_BATCH, MAX_PULL, SUBSCRIPTION, TOPIC } from "./wire.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every own key of `o` is one of `allowed`. */
function onlyKeys(o: Obj, allowed: readonly string[]): boolean {
  for (const k in o) if (!allowed.includes(k)) return false;
  return Object.getPrototypeOf(o) === Object.prototype;
}

const PUBLISH_KEYS = ["type", "ref", "topic", "messages"] as const;
const MESSAGE_KEYS = ["body", "key"] as const; // headers: the schema checks them
const ACK_KEYS = ["type", "subscription", "ackIds"] as const;

function plainMessage(m: unknown): boolean {
  if (!isObj(m) || !onlyKeys(m, MESSAGE_KEYS) || m.body === undefined) return false;
  const key = m.key;
  return key === undefined || (typeof key === "string" && key.length >= 1 && key.length <= 256);
}

/** The frame itself when it is a plainly valid publish or ack frame; undefined otherwise. */
export function fastFrame(v: unknown): ClientFrame | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === "publish") {
    if (!onlyKeys(v, PUBLISH_KEYS)) return undefined;
    const { ref, topic, messages } = v;
    if (ref !== undefined && !(typeof ref === "string" && ref.length <= 64)) return undefined;
    if (typeof topic !== "string" || !TOPIC.test(topic)) return undefined;
    if (!Array.isArray(messages) || messages.length < 1 || messages.length > MAX_BATCH) return undefined;
    for (const m of messages) if (!plainMessage(m)) return undefined;
    return v as ClientFrame;
  }
  if (v.type === "ack") {
    if (!onlyKeys(v, ACK_KEYS)) return undefined;
    const { subscription, ackIds } = v;
    if (typeof subscription !== "string" || !SUBSCRIPTION.test(subscription)) return undefined;
    if (!Array.isArray(ackIds) || ackIds.length < 1 || ackIds.length > MAX_PULL) return undefined;
    for (const id of ackIds) if (typeof id !== "string" || id.length < 1 || id.length > 200) return undefined;
    return v as ClientFrame;
  }
  return undefined;
}
