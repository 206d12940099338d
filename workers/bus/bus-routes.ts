// /v1/bus: the agents' side of the message bus.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";

export const busRoutes = new Hono<AppEnv>()
  .use(access({ agent: true }))
  .get("/whoami", (c) => {
    const { keyId, name, scopes } = c.var.caller;
    return c.json({ id: keyId, name, capabilities: scopes });
  });
