import { createMiddleware } from "hono/factory";
import { ForbiddenError } from "../../lib/errors.ts";
import type { AppEnv, Caller } from "../app-env.ts";
import { authenticate } from "./authenticate.ts";

/** Middleware: the request must carry a live key of one of these kinds. */
export function requireKey(...kinds: Caller["kind"][]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = await authenticate(c.var.db, c.req.header("Authorization"), Date.now());
    if (!kinds.includes(caller.kind)) {
      throw new ForbiddenError(`this route needs a ${kinds.join(" or ")} key`, "wrong_key_kind");
    }
    c.set("caller", caller);
    await next();
  });
}
