// /v1/work: the work ledger over HTTP. The owner, agents and helpers with work:write create tasks;
// only the agent a task was handed to claims it, reports progress, completes or fails it.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../lib/errors.ts";
import { CAPABILITY, CompleteInput, FailInput, ProgressInput, TASK_ID, TASK_STATES, TaskInput } from "../../lib/mind/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { mind, unwrap } from "../mind/mind-stub.ts";
import { parseWith, readJson } from "../read-json.ts";

const ListQuery = z.object({
  state: z.enum(TASK_STATES).optional(),
  capability: z.string().regex(CAPABILITY).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(0).optional(),
});

const taskId = (c: Context<AppEnv>) => {
  const id = c.req.param("id") ?? "";
  if (!TASK_ID.test(id)) throw new NotFoundError(`no task ${id}`, "task_not_found");
  return id;
};

const reader = access({ owner: true, agent: true, helper: "work:read" });
const assigned = access({ agent: true });

export const workRoutes = new Hono<AppEnv>()
  .post("/", access({ owner: true, agent: true, helper: "work:write" }), async (c) => {
    const input = await readJson(c, TaskInput);
    const { kind, keyId } = c.var.caller;
    return c.json(unwrap(await mind(c).createTask({ kind, keyId }, input)), 201);
  })
  .get("/", reader, async (c) => {
    const q = parseWith(ListQuery, c.req.query());
    return c.json({ tasks: await mind(c).listTasks(q) });
  })
  .get("/:id", reader, async (c) => c.json(unwrap(await mind(c).getTask(taskId(c)))))
  .post("/:id/claim", assigned, async (c) => {
    await readJson(c, z.object({}).strict().optional());
    return c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c), "claim", {})));
  })
  .post("/:id/progress", assigned, async (c) => {
    const input = (await readJson(c, ProgressInput.optional())) ?? {};
    return c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c), "progress", input)));
  })
  .post("/:id/wait", assigned, async (c) => {
    const input = (await readJson(c, ProgressInput.optional())) ?? {};
    return c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c), "wait", input)));
  })
  .post("/:id/complete", assigned, async (c) => {
    const input = (await readJson(c, CompleteInput.optional())) ?? {};
    return c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c), "complete", input)));
  })
  .post("/:id/fail", assigned, async (c) => {
    const input = await readJson(c, FailInput);
    return c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c), "fail", input)));
  });
