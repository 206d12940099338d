// /v1/bus: the agents' side of the message bus.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { requireKey } from "../auth/require-key.ts";

export const busRoutes = new Hono<AppEnv>()
  .use(requireKey("agent"))
  .get("/whoami", (c) => {
    const { keyId, name, scopes } = c.var.caller;
    return c.json({ id: keyId, name, capabilities: scopes });
  });
