// The one Bus object's stub. Its id is derived once per namespace and kept (idFromName hashes the
// name on every call; seven call sites did so per request or per message); the stub itself is
// made per call, as a stub belongs to the request that made it.
const ids = new WeakMap<DurableObjectNamespace, DurableObjectId>();

export function busStub(env: Pick<Env, "BUS">): DurableObjectStub<Env["BUS"] extends DurableObjectNamespace<infer T> ? T : never> {
  let id = ids.get(env.BUS);
  if (!id) ids.set(env.BUS, (id = env.BUS.idFromName("bus")));
  return env.BUS.get(id);
}
