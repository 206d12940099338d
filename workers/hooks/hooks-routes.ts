// /v1/hooks/:source: webhooks from the outside world. No key: each source proves itself with its
// own signature scheme over the raw bytes. 202 means the event is stored; the mind is already
// waking for it.
import { createRoute } from "@hono/zod-openapi";
import type { HookHeaders } from "../../durable/mind/webhook-intake.ts";
import { UnprocessableError } from "../../lib/errors.ts";
import { JSON_TOO_DEEP, jsonDepthOver } from "../../lib/json-depth.ts";
import { HookAcceptedBody } from "../../lib/mind/responses.ts";
import { HookDeliveryParams } from "../../lib/mind/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { rawBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { returns } from "../http/route-parts.ts";
import { mind } from "../mind/mind-stub.ts";

export const MAX_HOOK_BODY = 1024 * 1024;
const HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature", "x-hub-signature-256", "x-github-delivery", "x-github-event"] as const;

const deliver = createRoute({
  method: "post",
  path: "/{source}",
  middleware: [rawBody(MAX_HOOK_BODY)],
  request: { params: HookDeliveryParams },
  responses: { 202: returns(HookAcceptedBody, "the event is stored; the mind wakes for it") },
});

export const hookRoutes = openApp().openapi(deliver, async (c) => {
  const body = await c.req.arrayBuffer();
  if (jsonDepthOver(new TextDecoder().decode(body))) throw new UnprocessableError(JSON_TOO_DEEP, "json_too_deep");
  const headers: HookHeaders = {};
  for (const h of HEADERS) {
    const v = c.req.header(h);
    if (v !== undefined) headers[h] = v.slice(0, 4096);
  }
  const { eventId } = unwrap(await mind(c).receiveWebhook(c.req.valid("param").source, headers, body));
  return c.json({ eventId }, 202);
});
