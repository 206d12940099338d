// POST /v1/checkins/:name — check-ins, Healthchecks-style, for any script on the box: the owner,
// any agent, or a helper key holding `checkins:write:<name-glob>` (e.g. `checkins:write:backup-*`).
// Body `{state?: "start"|"success"|"fail", run?, note?}`; an empty body is a success.
import { createRoute } from "@hono/zod-openapi";
import type { CheckinResult } from "../../durable/mind/checkins.ts";
import { CheckinBody } from "../../lib/mind/responses.ts";
import { CheckinInput, CheckinParams, type MindResult } from "../../lib/mind/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { access } from "../auth/access.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { optionalJson, returns } from "../http/route-parts.ts";
import { mind } from "./mind-stub.ts";

const CHECKIN_BODY = 16 * 1024;

const checkin = createRoute({
  method: "post",
  path: "/{name}",
  middleware: [access({ owner: true, agent: true, helper: (c) => `checkins:write:${c.req.param("name") ?? ""}`, helperDoc: "checkins:write:<name>" }), jsonBody(CHECKIN_BODY)],
  request: { params: CheckinParams, body: optionalJson(CheckinInput) },
  responses: { 200: returns(CheckinBody, "the run, closed"), 201: returns(CheckinBody, "a run, started") },
});

export const checkinRoutes = openApp().openapi(checkin, async (c) => {
  const { name } = c.req.valid("param");
  const { kind, keyId } = c.var.caller;
  const r: CheckinResult = unwrap((await mind(c).checkin({ kind, keyId }, name, c.req.valid("json"))) as MindResult<CheckinResult>);
  const body = { name: r.name, state: r.state, run: r.run, at: r.task.updatedAt };
  return r.state === "start" ? c.json(body, 201) : c.json(body, 200);
});
