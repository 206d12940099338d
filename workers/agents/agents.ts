// /v1/owner/agents: the owner registers outside agents (a token, shown once) and defines the
// seed's own agents (they run inside the seed). Logic in agent-registry.ts.
import { createRoute } from "@hono/zod-openapi";
import { AddedAgentBody, AgentBody, AgentDetailBody, AgentsBody, RemovedAgentBody } from "../../lib/agents/responses.ts";
import { AgentIdParams, AgentInput, AgentPatch } from "../../lib/agents/wire.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { json, returns } from "../http/route-parts.ts";
import { addAgent, getAgent, listAgents, removeAgent, updateAgent } from "./agent-registry.ts";

const MAX_DEFINITION_BODY = 256 * 1024;

const add = createRoute({ method: "post", path: "/", middleware: [jsonBody(MAX_DEFINITION_BODY)], request: { body: json(AgentInput) }, responses: { 201: returns(AddedAgentBody, "the agent; an outside agent's token is shown only here") } });
const list = createRoute({ method: "get", path: "/", responses: { 200: returns(AgentsBody, "live agents") } });
const get = createRoute({ method: "get", path: "/{id}", request: { params: AgentIdParams }, responses: { 200: returns(AgentDetailBody, "the agent; an own agent adds its state, active and recent runs") } });
const update = createRoute({ method: "patch", path: "/{id}", middleware: [jsonBody(MAX_DEFINITION_BODY)], request: { params: AgentIdParams, body: json(AgentPatch) }, responses: { 200: returns(AgentBody, "the agent") } });
const remove = createRoute({ method: "delete", path: "/{id}", request: { params: AgentIdParams }, responses: { 200: returns(RemovedAgentBody, "removed: its key is revoked and its sessions closed; released counts its open tasks handed back") } });

/** Mounted under /v1/owner/agents, behind the owner's root key. */
export const ownerAgents = openApp()
  .openapi(add, async (c) => c.json(await addAgent(c, c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json({ agents: await listAgents(c) }, 200))
  .openapi(get, async (c) => c.json(await getAgent(c, c.req.valid("param").id), 200))
  .openapi(update, async (c) => c.json(await updateAgent(c, c.req.valid("param").id, c.req.valid("json")), 200))
  .openapi(remove, async (c) => c.json(await removeAgent(c, c.req.valid("param").id), 200));
