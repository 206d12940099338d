// The bus's wire shapes, shared by the server (workers/bus, durable/bus) and the agents' client
// (lib/bus/client.ts). WebSocket frames are one discriminated union each way.
import { z } from "zod";

export const TOPIC = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const SUBSCRIPTION = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_BATCH = 1000;
export const MAX_PULL = 1000;
export const MAX_WAIT_MS = 30_000;
export const MAX_WINDOW = 1000;
/** A WebSocket frame, as text; workerd's own limit on a message is 1 MiB. */
export const MAX_FRAME_BYTES = 1024 * 1024;
export const INBOX = "inbox";

export const topicName = z.string().regex(TOPIC, "topic names are [a-z0-9][a-z0-9._-]{0,127}");
export const subscriptionName = z.string().regex(SUBSCRIPTION, "subscription names are [a-z0-9][a-z0-9._-]{0,127}");

// Bodies arrive already parsed from JSON, so any value is valid JSON; only presence is checked
// (a deep z.json() walk per message cost more than the storage write).
export const PublishInput = z.object({
  body: z.unknown().refine((v) => v !== undefined, "body is required"),
  headers: z.record(z.string().max(256), z.string().max(4096)).optional(),
  key: z.string().min(1).max(256).optional(),
});
export type PublishInput = z.infer<typeof PublishInput>;

export const PublishBatch = z.object({ messages: z.array(PublishInput).min(1).max(MAX_BATCH) });

export const SubscriptionInput = z.object({
  topic: topicName,
  ackDeadlineMs: z.number().int().min(100).max(600_000).optional(),
  maxDeliveries: z.number().int().min(1).max(1000).optional(),
  startAt: z.union([z.literal("latest"), z.literal("earliest"), z.number().int().min(1)]).optional(),
});
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

export const PullInput = z.object({
  max: z.number().int().min(1).max(MAX_PULL).optional(),
  waitMs: z.number().int().min(0).max(MAX_WAIT_MS).optional(),
});

export const AckIds = z.array(z.string().min(1).max(200)).min(1).max(MAX_PULL);
export const NackDelay = z.number().int().min(0).max(3_600_000);
export const PushWindow = z.number().int().min(1).max(MAX_WINDOW);
export const AckInput = z.object({ ackIds: AckIds });
export const NackInput = AckInput.extend({ delayMs: NackDelay.optional() });
export const SeekInput = z.union([
  z.object({ seq: z.number().int().min(1) }).strict(),
  z.object({ time: z.number().int().min(0) }).strict(),
]);
export const TopicInput = z.object({
  maxAgeMs: z.number().int().min(1000).nullable().optional(),
  maxMessages: z.number().int().min(1).nullable().optional(),
});

export const Published = z.object({ id: z.string(), seq: z.number().int() });
export type Published = z.infer<typeof Published>;

export const Delivered = z.object({
  id: z.string(),
  seq: z.number().int(),
  topic: z.string(),
  from: z.string(),
  body: z.unknown(),
  headers: z.record(z.string(), z.string()),
  publishedAt: z.number(),
  deliveryAttempt: z.number().int(),
  ackId: z.string(),
});
export type Delivered = z.infer<typeof Delivered>;

export const AckResult = z.object({ ackId: z.string(), result: z.enum(["acked", "nacked", "unknown", "expired"]) });
export type AckResult = z.infer<typeof AckResult>;

export const SubscriptionInfo = z.object({
  name: z.string(),
  topic: z.string(),
  ackDeadlineMs: z.number().int(),
  maxDeliveries: z.number().int(),
  nextSeq: z.number().int(),
  createdAt: z.number(),
});
export type SubscriptionInfo = z.infer<typeof SubscriptionInfo>;

export const SubscriptionStats = z.object({
  subscription: z.string(),
  topic: z.string(),
  backlog: z.number().int(),
  inFlight: z.number().int(),
  oldestUnackedAgeMs: z.number().nullable(),
  deadLetters: z.number().int(),
});
export type SubscriptionStats = z.infer<typeof SubscriptionStats>;

/** Path parts of the bus routes. */
export const TopicParams = z.object({ topic: topicName });
export const SubscriptionParams = z.object({ name: subscriptionName });
export const AgentIdParams = z.object({ agentId: z.string().min(1).max(200) });

/** Frames an agent sends on its WebSocket: the same named schemas as the HTTP routes. */
export const ClientFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("subscribe"), subscription: subscriptionName, window: PushWindow.optional() }),
  z.object({ type: z.literal("unsubscribe"), subscription: subscriptionName }),
  z.object({ type: z.literal("ack"), subscription: subscriptionName, ackIds: AckIds }),
  z.object({ type: z.literal("nack"), subscription: subscriptionName, ackIds: AckIds, delayMs: NackDelay.optional() }),
  z.object({ type: z.literal("publish"), ref: z.string().max(64).optional(), topic: topicName, messages: PublishBatch.shape.messages }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Frames the bus sends to an agent. */
export type ServerFrame =
  | { type: "subscribed"; subscription: string; window: number }
  | { type: "unsubscribed"; subscription: string }
  | { type: "messages"; subscription: string; messages: Delivered[] }
  | { type: "acked"; subscription: string; results: AckResult[] }
  | { type: "published"; ref?: string; results: Published[] }
  | { type: "pong" }
  | { type: "error"; ref?: string; code: string; message: string; status?: number };

/** Results that cross the Durable Object RPC boundary: errors as data, mapped to HTTP by the Worker. */
export type { RpcError as BusError, RpcResult as BusResult } from "../rpc-result.ts";

/** Who is calling, as the Worker authenticated them. */
/** The bus's part of GET /metrics (Bus.metrics()). */
export type BusMetrics = { published: number; delivered: number; acked: number; deadLettered: number; topics: { topic: string; backlog: number }[] };

export type BusCaller = { keyId: string; kind: "root" | "agent" | "helper"; scopes: string[] };

/** Whose namespace a caller's subscriptions live in: root's belong to whoever holds root. */
export function subscriptionOwner(caller: Pick<BusCaller, "keyId" | "kind">): string {
  return caller.kind === "root" ? ROOT_OWNER : caller.keyId;
}
export const ROOT_OWNER = "root";
