// POST /v1/checkins/:name — check-ins, Healthchecks-style, for any script on the box: the owner,
// any agent, or a helper key holding `checkins:write:<name-glob>` (e.g. `checkins:write:backup-*`).
// Body `{state?: "start"|"success"|"fail", run?, note?}`; an empty body is a success.
import { Hono } from "hono";
import { z } from "zod";
import type { CheckinResult } from "../../durable/mind/checkins.ts";
import { CAPABILITY, CheckinInput, type MindResult } from "../../lib/mind/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { parseWith, readJson } from "../read-json.ts";
import { mind, unwrap } from "./mind-stub.ts";

const CHECKIN_BODY = 16 * 1024;
const nameOf = (raw: string | undefined) => parseWith(z.string().regex(CAPABILITY, "check-in names are [a-z0-9][a-z0-9._:-]{0,63}"), raw);

export const checkinRoutes = new Hono<AppEnv>().post(
  "/:name",
  access({ owner: true, agent: true, helper: (c) => `checkins:write:${c.req.param("name") ?? ""}` }),
  async (c) => {
    const name = nameOf(c.req.param("name"));
    const input = (await readJson(c, CheckinInput.optional(), CHECKIN_BODY)) ?? CheckinInput.parse({});
    const { kind, keyId } = c.var.caller;
    const r: CheckinResult = unwrap((await mind(c).checkin({ kind, keyId }, name, input)) as MindResult<CheckinResult>);
    return c.json({ name: r.name, state: r.state, run: r.run, at: r.task.updatedAt }, r.state === "start" ? 201 : 200);
  },
);
