// /v1/bus: the agents' side of the message bus. Validation and auth here; the Bus object does
// the rest and answers with data or an error that maps to a status.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { and, eq, isNull } from "drizzle-orm";
import { agents } from "../../lib/db/schema.ts";
import type { BusCaller } from "../../lib/bus/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import {
  AckInput,
  AckResult,
  AgentIdParams,
  Delivered,
  MAX_BATCH,
  MAX_BODY_BYTES,
  NackInput,
  PublishBatch,
  Published,
  PublishInput,
  PullInput,
  SeekInput,
  SubscriptionInfo,
  SubscriptionInput,
  SubscriptionParams,
  SubscriptionStats,
  TopicInput,
  TopicParams,
} from "../../lib/bus/wire.ts";
import { HttpError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { offeredProtocols } from "../auth/presented-key.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { described, json, optionalJson, returns } from "../http/route-parts.ts";
import { busStub } from "../../durable/bus/bus-stub.ts";

const bus = (c: Context<AppEnv>) => busStub(c.env);
const caller = (c: Context<AppEnv>): BusCaller => ({ keyId: c.var.caller.keyId, kind: c.var.caller.kind, scopes: c.var.caller.scopes });

// A single message may be 256 KiB of JSON body plus its envelope; a batch is capped as a whole.
const MESSAGE_LIMIT = MAX_BODY_BYTES + 16 * 1024;
const BATCH_LIMIT = 32 * 1024 * 1024;

const publisher = access({ owner: true, agent: true, helper: (c) => `bus:publish:${c.req.param("topic")}`, helperDoc: "bus:publish:<topic>" });
// Subscriptions are owned: the Bus checks the topic scope when a helper creates one and ownership
// on every later call, so here a helper needs only to hold some bus:read scope.
const reader = access({ owner: true, agent: true, helper: (c) => c.var.caller.scopes.find((s) => s.startsWith("bus:read:")) ?? "bus:read:", helperDoc: "bus:read:<topic-glob> (the topic's scope is checked when the subscription is made)" });
// A socket may publish or read: any bus scope opens it, and the Bus checks each frame's topic.
const anyBus = access({ owner: true, agent: true, helper: (c) => c.var.caller.scopes.find((s) => s.startsWith("bus:")) ?? "bus:read:", helperDoc: "any bus: scope (each frame's topic is checked)" });

const Retention = z.object({ topic: z.string(), maxAgeMs: z.number().nullable().optional(), maxMessages: z.number().nullable().optional() });

const whoami = createRoute({
  method: "get",
  path: "/whoami",
  middleware: [access({ agent: true })],
  responses: { 200: returns(z.object({ id: z.string(), name: z.string(), capabilities: z.array(z.string()) }), "the agent key that asked") },
});
const publish = createRoute({
  method: "post",
  path: "/topics/{topic}/messages",
  middleware: [publisher, jsonBody(MESSAGE_LIMIT)],
  request: { params: TopicParams, body: json(PublishInput) },
  responses: { 201: returns(Published, "stored (after the commit); the same key on the same topic within 24 h returns the first copy") },
});
const publishBatch = createRoute({
  method: "post",
  path: "/topics/{topic}/messages:batch",
  middleware: [publisher, jsonBody(BATCH_LIMIT)],
  request: { params: TopicParams, body: json(PublishBatch) },
  responses: { 201: returns(z.object({ results: z.array(Published) }), "all stored in one transaction") },
});
const putTopic = createRoute({
  method: "put",
  path: "/topics/{topic}",
  middleware: [publisher, jsonBody()],
  request: { params: TopicParams, body: optionalJson(TopicInput) },
  responses: { 200: returns(Retention, "the topic's retention (null clears a limit)") },
});
const inbox = createRoute({
  method: "post",
  path: "/agents/{agentId}/inbox",
  middleware: [access({ owner: true, agent: true }), jsonBody(MESSAGE_LIMIT)],
  request: { params: AgentIdParams, body: json(PublishInput) },
  responses: { 201: returns(Published, "a direct message, read by the addressee through its subscription `inbox`") },
});
const listSubs = createRoute({ method: "get", path: "/subscriptions", middleware: [reader], responses: { 200: returns(z.object({ subscriptions: z.array(SubscriptionInfo) }), "the caller's subscriptions") } });
const putSub = createRoute({
  method: "put",
  path: "/subscriptions/{name}",
  middleware: [reader, jsonBody()],
  request: { params: SubscriptionParams, body: json(SubscriptionInput) },
  responses: { 200: returns(SubscriptionInfo, "updated"), 201: returns(SubscriptionInfo, "created, owned by the caller") },
});
const deleteSub = createRoute({
  method: "delete",
  path: "/subscriptions/{name}",
  middleware: [reader],
  request: { params: SubscriptionParams },
  responses: { 200: returns(z.object({ deleted: z.literal(true) }), "deleted") },
});
const pull = createRoute({
  method: "post",
  path: "/subscriptions/{name}/pull",
  middleware: [reader, jsonBody()],
  request: { params: SubscriptionParams, body: optionalJson(PullInput) },
  responses: { 200: returns(z.object({ messages: z.array(Delivered) }), "leased messages; long-polls up to waitMs when there are none") },
});
const ack = createRoute({
  method: "post",
  path: "/subscriptions/{name}/ack",
  middleware: [reader, jsonBody()],
  request: { params: SubscriptionParams, body: json(AckInput) },
  responses: { 200: returns(z.object({ results: z.array(AckResult) }), "one result per ackId") },
});
const nack = createRoute({
  method: "post",
  path: "/subscriptions/{name}/nack",
  middleware: [reader, jsonBody()],
  request: { params: SubscriptionParams, body: json(NackInput) },
  responses: { 200: returns(z.object({ results: z.array(AckResult) }), "one result per ackId; redelivered after delayMs") },
});
const seek = createRoute({
  method: "post",
  path: "/subscriptions/{name}/seek",
  middleware: [reader, jsonBody()],
  request: { params: SubscriptionParams, body: json(SeekInput) },
  responses: { 200: returns(SubscriptionInfo, "the subscription, moved") },
});
const stats = createRoute({
  method: "get",
  path: "/subscriptions/{name}/stats",
  middleware: [reader],
  request: { params: SubscriptionParams },
  responses: { 200: returns(SubscriptionStats, "backlog, in flight, oldest unacked, dead letters") },
});
const connect = createRoute({
  method: "get",
  path: "/connect",
  middleware: [anyBus],
  responses: { 101: described("a hibernatable WebSocket speaking seed.bus.v1 (frames: lib/bus/wire.ts)"), 426: described("not a WebSocket upgrade") },
});

export const busRoutes = openApp()
  .openapi(whoami, (c) => {
    const { keyId, name, scopes } = c.var.caller;
    return c.json({ id: keyId, name, capabilities: scopes }, 200);
  })
  .openapi(publish, async (c) => {
    const [published] = unwrap(await bus(c).publish(caller(c), c.req.valid("param").topic, [c.req.valid("json")]));
    return c.json(published!, 201);
  })
  .openapi(publishBatch, async (c) => {
    const results = unwrap(await bus(c).publish(caller(c), c.req.valid("param").topic, c.req.valid("json").messages));
    return c.json({ results }, 201);
  })
  .openapi(putTopic, async (c) => c.json(unwrap(await bus(c).putTopic(caller(c), c.req.valid("param").topic, c.req.valid("json"))), 200))
  .openapi(inbox, async (c) => {
    const { agentId } = c.req.valid("param");
    const to = await c.var.db.select({ id: agents.id }).from(agents).where(and(eq(agents.id, agentId), isNull(agents.removedAt))).get();
    if (!to) throw new NotFoundError(`no agent ${agentId}`, "agent_not_found");
    return c.json(unwrap(await bus(c).sendToInbox(c.var.caller.keyId, agentId, c.req.valid("json"))), 201);
  })
  .openapi(listSubs, async (c) => c.json({ subscriptions: unwrap(await bus(c).listSubscriptions(caller(c))) }, 200))
  .openapi(putSub, async (c) => {
    const { info, created } = unwrap(await bus(c).putSubscription(caller(c), c.req.valid("param").name, c.req.valid("json")));
    return created ? c.json(info, 201) : c.json(info, 200);
  })
  .openapi(deleteSub, async (c) => c.json(unwrap(await bus(c).deleteSubscription(caller(c), c.req.valid("param").name)), 200))
  .openapi(pull, async (c) => {
    const input = c.req.valid("json");
    return c.json({ messages: unwrap(await bus(c).pull(caller(c), c.req.valid("param").name, input.max ?? 100, input.waitMs ?? 0)) }, 200);
  })
  .openapi(ack, async (c) => c.json({ results: unwrap(await bus(c).ack(caller(c), c.req.valid("param").name, c.req.valid("json").ackIds)) }, 200))
  .openapi(nack, async (c) => {
    const input = c.req.valid("json");
    return c.json({ results: unwrap(await bus(c).nack(caller(c), c.req.valid("param").name, input.ackIds, input.delayMs)) }, 200);
  })
  .openapi(seek, async (c) => c.json(unwrap(await bus(c).seek(caller(c), c.req.valid("param").name, c.req.valid("json"))), 200))
  .openapi(stats, async (c) => c.json(unwrap(await bus(c).stats(caller(c), c.req.valid("param").name)), 200))
  .openapi(connect, async (c) => {
    if (c.req.header("Upgrade") !== "websocket") throw new HttpError(426, "upgrade_required", "GET /v1/bus/connect upgrades to a WebSocket");
    const offered = offeredProtocols(c);
    const headers = new Headers({ Upgrade: "websocket", "x-seed-caller": JSON.stringify(caller(c)) });
    if (offered.includes("seed.bus.v1")) headers.set("x-seed-protocol", "seed.bus.v1");
    // Only what the Bus needs crosses: the client's own headers (and its key) stay here.
    return bus(c).fetch(new Request("http://bus/connect", { headers })) as unknown as never;
  });

export const BUS_LIMITS = { MAX_BATCH, MESSAGE_LIMIT, BATCH_LIMIT };
