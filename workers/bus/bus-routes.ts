// /v1/bus: the agents' side of the message bus. Validation and auth here; the Bus object does
// the rest and answers with data or an error that maps to a status.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { agents } from "../../lib/db/schema.ts";
import type { BusCaller } from "../../lib/bus/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { AckInput, MAX_BATCH, MAX_BODY_BYTES, NackInput, PublishBatch, PublishInput, PullInput, SeekInput, SubscriptionInput, SUBSCRIPTION, TOPIC, TopicInput } from "../../lib/bus/wire.ts";
import { HttpError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { offeredProtocols } from "../auth/presented-key.ts";
import { parseWith } from "../http/parse-with.ts";
import { readJson } from "../read-json.ts";
import { and, eq, isNull } from "drizzle-orm";

const bus = (c: Context<AppEnv>) => c.env.BUS.get(c.env.BUS.idFromName("bus"));
const caller = (c: Context<AppEnv>): BusCaller => ({ keyId: c.var.caller.keyId, kind: c.var.caller.kind, scopes: c.var.caller.scopes });

// A single message may be 256 KiB of JSON body plus its envelope; a batch is capped as a whole.
const MESSAGE_LIMIT = MAX_BODY_BYTES + 16 * 1024;
const BATCH_LIMIT = 32 * 1024 * 1024;


const topicParam = (c: Context<AppEnv>) => parseWith(z.string().regex(TOPIC, "topic names are [a-z0-9][a-z0-9._-]{0,127}"), c.req.param("topic"), "path");
// Subscriptions are owned: the Bus checks the topic scope when a helper creates one and ownership
// on every later call, so here a helper needs only to hold some bus:read scope.
const anyRead = (c: Context<AppEnv>) => c.var.caller.scopes.find((s) => s.startsWith("bus:read:")) ?? "bus:read:";
// A socket may publish or read: any bus scope opens it, and the Bus checks each frame's topic.
const anyBus = (c: Context<AppEnv>) => c.var.caller.scopes.find((s) => s.startsWith("bus:")) ?? "bus:read:";


const subParam = (c: Context<AppEnv>) => parseWith(z.string().regex(SUBSCRIPTION, "subscription names are [a-z0-9][a-z0-9._-]{0,127}"), c.req.param("name"), "path");

export const busRoutes = new Hono<AppEnv>()
  .get("/whoami", access({ agent: true }), (c) => {
    const { keyId, name, scopes } = c.var.caller;
    return c.json({ id: keyId, name, capabilities: scopes });
  })
  .post("/topics/:topic/messages", access({ owner: true, agent: true, helper: (c) => `bus:publish:${c.req.param("topic")}` }), async (c) => {
    const topic = topicParam(c);
    const input = await readJson(c, PublishInput, MESSAGE_LIMIT);
    const [published] = unwrap(await bus(c).publish(caller(c), topic, [input]));
    return c.json(published, 201);
  })
  .post("/topics/:topic/:batch{messages:batch}", access({ owner: true, agent: true, helper: (c) => `bus:publish:${c.req.param("topic")}` }), async (c) => {
    const topic = topicParam(c);
    const input = await readJson(c, PublishBatch, BATCH_LIMIT);
    const results = unwrap(await bus(c).publish(caller(c), topic, input.messages));
    return c.json({ results }, 201);
  })
  .put("/topics/:topic", access({ owner: true, agent: true, helper: (c) => `bus:publish:${c.req.param("topic")}` }), async (c) => {
    const topic = topicParam(c);
    const input = await readJson(c, TopicInput);
    return c.json(unwrap(await bus(c).putTopic(caller(c), topic, input)));
  })
  .post("/agents/:agentId/inbox", access({ owner: true, agent: true }), async (c) => {
    const agentId = c.req.param("agentId");
    const input = await readJson(c, PublishInput, MESSAGE_LIMIT);
    const to = await c.var.db.select({ id: agents.id }).from(agents).where(and(eq(agents.id, agentId), isNull(agents.removedAt))).get();
    if (!to) throw new NotFoundError(`no agent ${agentId}`, "agent_not_found");
    return c.json(unwrap(await bus(c).sendToInbox(c.var.caller.keyId, agentId, input)), 201);
  })
  .get("/subscriptions", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    return c.json({ subscriptions: unwrap(await bus(c).listSubscriptions(caller(c))) });
  })
  .put("/subscriptions/:name", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    const name = subParam(c);
    const input = await readJson(c, SubscriptionInput);
    const { info, created } = unwrap(await bus(c).putSubscription(caller(c), name, input));
    return c.json(info, created ? 201 : 200);
  })
  .delete("/subscriptions/:name", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    return c.json(unwrap(await bus(c).deleteSubscription(caller(c), subParam(c))));
  })
  .post("/subscriptions/:name/pull", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    const name = subParam(c);
    const input = await readJson(c, PullInput);
    const messages = unwrap(await bus(c).pull(caller(c), name, input.max ?? 100, input.waitMs ?? 0));
    return c.json({ messages });
  })
  .post("/subscriptions/:name/ack", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    const name = subParam(c);
    const input = await readJson(c, AckInput);
    return c.json({ results: unwrap(await bus(c).ack(caller(c), name, input.ackIds)) });
  })
  .post("/subscriptions/:name/nack", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    const name = subParam(c);
    const input = await readJson(c, NackInput);
    return c.json({ results: unwrap(await bus(c).nack(caller(c), name, input.ackIds, input.delayMs)) });
  })
  .post("/subscriptions/:name/seek", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    const name = subParam(c);
    const input = await readJson(c, SeekInput);
    return c.json(unwrap(await bus(c).seek(caller(c), name, input)));
  })
  .get("/subscriptions/:name/stats", access({ owner: true, agent: true, helper: anyRead }), async (c) => {
    return c.json(unwrap(await bus(c).stats(caller(c), subParam(c))));
  })
  .get("/connect", access({ owner: true, agent: true, helper: anyBus }), async (c) => {
    if (c.req.header("Upgrade") !== "websocket") throw new HttpError(426, "upgrade_required", "GET /v1/bus/connect upgrades to a WebSocket");
    const offered = offeredProtocols(c);
    const headers = new Headers({ Upgrade: "websocket", "x-seed-caller": JSON.stringify(caller(c)) });
    if (offered.includes("seed.bus.v1")) headers.set("x-seed-protocol", "seed.bus.v1");
    // Only what the Bus needs crosses: the client's own headers (and its key) stay here.
    return bus(c).fetch(new Request("http://bus/connect", { headers }));
  });

export const BUS_LIMITS = { MAX_BATCH, MESSAGE_LIMIT, BATCH_LIMIT };
