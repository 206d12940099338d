// /v1/owner/agents: the owner registers outside agents (a token, shown once) and defines the
// seed's own agents (they run inside the seed). Logic in agent-registry.ts.
import { Hono } from "hono";
import { AgentInput, AgentPatch } from "../../lib/agents/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { readJson } from "../read-json.ts";
import { addAgent, getAgent, listAgents, removeAgent, updateAgent } from "./agent-registry.ts";

export { AgentInput };

const MAX_DEFINITION_BODY = 256 * 1024;

/** Mounted under /v1/owner/agents, behind the owner's root key. */
export const ownerAgents = new Hono<AppEnv>()
  .post("/", async (c) => c.json(await addAgent(c, await readJson(c, AgentInput, MAX_DEFINITION_BODY)), 201))
  .get("/", async (c) => c.json({ agents: await listAgents(c) }))
  .get("/:id", async (c) => c.json(await getAgent(c, c.req.param("id"))))
  .patch("/:id", async (c) => c.json(await updateAgent(c, c.req.param("id"), await readJson(c, AgentPatch, MAX_DEFINITION_BODY))))
  .delete("/:id", async (c) => c.json(await removeAgent(c, c.req.param("id"))));
