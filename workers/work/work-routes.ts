// /v1/work: the work ledger over HTTP. The owner, agents and helpers with work:write create tasks;
// only the agent a task was handed to claims it, reports progress, completes or fails it.
import { createRoute } from "@hono/zod-openapi";
import { NotFoundError } from "../../lib/errors.ts";
import { z } from "zod";
import { CompleteInput, EmptyInput, FailInput, ProgressInput, TASK_ID, type Task, TaskBody, TaskIdParams, TaskInput, TaskWithHistory, WorkListQuery } from "../../lib/mind/wire.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { access } from "../auth/access.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { json, optionalJson, returns } from "../http/route-parts.ts";
import { mind } from "../mind/mind-stub.ts";

const writer = access({ owner: true, agent: true, helper: "work:write" });
const reader = access({ owner: true, agent: true, helper: "work:read" });
const assigned = access({ agent: true });

const taskId = (id: string) => {
  if (!TASK_ID.test(id)) throw new NotFoundError(`no task ${id}`, "task_not_found");
  return id;
};

const create = createRoute({ method: "post", path: "/", middleware: [writer, jsonBody()], request: { body: json(TaskInput) }, responses: { 201: returns(TaskBody, "the task"), 409: { description: "a task with this id exists" } } });
const list = createRoute({ method: "get", path: "/", middleware: [reader], request: { query: WorkListQuery }, responses: { 200: returns(z.object({ tasks: z.array(TaskBody) }), "tasks, newest first") } });
const get = createRoute({ method: "get", path: "/{id}", middleware: [reader], request: { params: TaskIdParams }, responses: { 200: returns(TaskWithHistory, "the task and its history") } });
const claim = createRoute({ method: "post", path: "/{id}/claim", middleware: [assigned, jsonBody()], request: { params: TaskIdParams, body: optionalJson(EmptyInput) }, responses: { 200: returns(TaskBody, "the claimed task"), 403: { description: "the task is not handed to this agent" }, 409: { description: "the task is not in a state that allows this" } } });
const progress = createRoute({ method: "post", path: "/{id}/progress", middleware: [assigned, jsonBody()], request: { params: TaskIdParams, body: optionalJson(ProgressInput) }, responses: { 200: returns(TaskBody, "the task"), 403: { description: "the task is not handed to this agent" }, 409: { description: "the task is not in a state that allows this" } } });
const wait = createRoute({ method: "post", path: "/{id}/wait", middleware: [assigned, jsonBody()], request: { params: TaskIdParams, body: optionalJson(ProgressInput) }, responses: { 200: returns(TaskBody, "the task, waiting"), 403: { description: "the task is not handed to this agent" }, 409: { description: "the task is not in a state that allows this" } } });
const complete = createRoute({ method: "post", path: "/{id}/complete", middleware: [assigned, jsonBody()], request: { params: TaskIdParams, body: optionalJson(CompleteInput) }, responses: { 200: returns(TaskBody, "the done task"), 403: { description: "the task is not handed to this agent" }, 409: { description: "the task is not in a state that allows this" } } });
const fail = createRoute({ method: "post", path: "/{id}/fail", middleware: [assigned, jsonBody()], request: { params: TaskIdParams, body: json(FailInput) }, responses: { 200: returns(TaskBody, "the failed (or retried) task"), 403: { description: "the task is not handed to this agent" }, 409: { description: "the task is not in a state that allows this" } } });

export const workRoutes = openApp()
  .openapi(create, async (c) => {
    const { kind, keyId } = c.var.caller;
    return c.json(unwrap(await mind(c).createTask({ kind, keyId }, c.req.valid("json"))), 201);
  })
  .openapi(list, async (c) => c.json({ tasks: (await mind(c).listTasks(c.req.valid("query"))) as Task[] }, 200))
  .openapi(get, async (c) => c.json(unwrap(await mind(c).getTask(taskId(c.req.valid("param").id))), 200))
  .openapi(claim, async (c) => c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c.req.valid("param").id), "claim", {})), 200))
  .openapi(progress, async (c) => c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c.req.valid("param").id), "progress", c.req.valid("json"))), 200))
  .openapi(wait, async (c) => c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c.req.valid("param").id), "wait", c.req.valid("json"))), 200))
  .openapi(complete, async (c) => c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c.req.valid("param").id), "complete", c.req.valid("json"))), 200))
  .openapi(fail, async (c) => c.json(unwrap(await mind(c).transition(c.var.caller.keyId, taskId(c.req.valid("param").id), "fail", c.req.valid("json"))), 200));
