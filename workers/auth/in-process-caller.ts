// A request the Worker makes to its own routes on behalf of a caller it has already verified: the
// console (workers/console) renders its pages from the JSON routes with the signed-in key's
// powers, without holding the key itself (only a session bound to it). The caller is attached to
// the very Request object the Worker built, so nothing from outside can carry one: an outside
// request is a different object. The route's own access policy still applies to that caller.
import type { Caller } from "./caller.ts";

const callers = new WeakMap<Request, Caller>();

export function actAs(req: Request, caller: Caller): Request {
  callers.set(req, caller);
  return req;
}

export function inProcessCaller(req: Request): Caller | undefined {
  return callers.get(req);
}
