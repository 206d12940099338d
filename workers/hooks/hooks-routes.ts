// /v1/hooks/:source: webhooks from the outside world. No key: each source proves itself with its
// own signature scheme. 202 means the event is stored; the mind is already waking for it.
import { Hono } from "hono";
import { PayloadTooLargeError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import { mind, unwrap } from "../mind/mind-stub.ts";
import type { HookHeaders } from "../../durable/mind/webhook-intake.ts";

export const MAX_HOOK_BODY = 1024 * 1024;
const HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature", "x-hub-signature-256", "x-github-delivery", "x-github-event"] as const;

export const hookRoutes = new Hono<AppEnv>().post("/:source", async (c) => {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_HOOK_BODY) throw new PayloadTooLargeError(`webhook body is over ${MAX_HOOK_BODY} bytes`);
  const body = await c.req.arrayBuffer();
  if (body.byteLength > MAX_HOOK_BODY) throw new PayloadTooLargeError(`webhook body is over ${MAX_HOOK_BODY} bytes`);
  const headers: HookHeaders = {};
  for (const h of HEADERS) {
    const v = c.req.header(h);
    if (v !== undefined) headers[h] = v.slice(0, 4096);
  }
  const { eventId } = unwrap(await mind(c).receiveWebhook(c.req.param("source"), headers, body));
  return c.json({ eventId }, 202);
});
