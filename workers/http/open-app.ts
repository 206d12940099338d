// Every router of the Worker is an OpenAPIHono made here, so that routes declared with
// createRoute validate with the same zod schemas the OpenAPI document describes, and every
// validation failure becomes one error: 422 `invalid_input` naming where — `path.topic: …`,
// `query.limit: …`, `body.ttl: …`.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import { UnprocessableError } from "../../lib/errors.ts";
import { issueMessage, type InputPart } from "../../lib/zod-issue.ts";
import type { AppEnv } from "../app-env.ts";
import type { AccessPolicy } from "../auth/access.ts";

const PARTS: Record<string, InputPart> = { json: "body", form: "body", param: "path", query: "query", header: "header", cookie: "header" };

export function openApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new UnprocessableError(issueMessage(PARTS[result.target] ?? "body", result.error as z.ZodError), "invalid_input");
    },
  });
  // zod-openapi keeps a route's middleware out of the document; the access() policy among them
  // goes in as the extension `x-seed-policy`, which workers/http/openapi-doc.ts turns into
  // `x-seed-access` and bearer security.
  const register = app.openapi;
  app.openapi = ((route, handler, hook) => {
    const list = [route.middleware ?? []].flat() as { policy?: AccessPolicy }[];
    const policy = list.find((m) => m.policy)?.policy;
    return register(policy ? ({ ...route, "x-seed-policy": policy } as typeof route) : route, handler, hook);
  }) as typeof register;
  return app;
}
