// Every request, counted and timed (by key kind, status and route pattern) in this isolate, and
// logged as one JSON line: {ts, proc, event: "request", method, route, status, ms, keyKind, keyId}.
// Never a secret: the key id is the public part of `seed_<kind>_<id>_<secret>`, nothing after it.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";

export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Timing = { count: number; sum: number; buckets: number[] };

export const requestStats = {
  /** `${kind} ${status}` → count */
  requests: new Map<string, number>(),
  /** route pattern → timing */
  timings: new Map<string, Timing>(),
  unauthorized: 0,
  rateLimited: 0,
};

// Present at rest: the routes whose time the issue asks for, before any traffic.
for (const r of ["/v1/memory/recall", "/v1/bus/topics/:topic/messages", "/v1/bus/subscriptions/:name/pull"]) timing(r);

function timing(route: string): Timing {
  let t = requestStats.timings.get(route);
  if (!t) requestStats.timings.set(route, (t = { count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) }));
  return t;
}

const KEY = /^Bearer seed_(root|agent|helper)_([a-z0-9]{1,32})_/;

export const requestMetrics = createMiddleware<AppEnv>(async (c, next) => {
  const t0 = performance.now();
  try {
    await next();
  } finally {
    const ms = performance.now() - t0;
    const status = c.res.status;
    const caller = c.get("caller");
    const presented = KEY.exec(c.req.header("Authorization") ?? "");
    const keyKind = caller?.kind ?? (presented ? presented[1]! : "none");
    const keyId = caller?.keyId ?? presented?.[2] ?? null;
    const route = c.req.routePath || "unmatched";
    const k = `${keyKind} ${status}`;
    requestStats.requests.set(k, (requestStats.requests.get(k) ?? 0) + 1);
    if (status === 401) requestStats.unauthorized++;
    if (status === 429) requestStats.rateLimited++;
    const t = timing(route);
    t.count++;
    t.sum += ms / 1000;
    DURATION_BUCKETS.forEach((b, i) => {
      if (ms / 1000 <= b) t.buckets[i]!++;
    });
    if ((c.env as { SEED_LOG_REQUESTS?: string }).SEED_LOG_REQUESTS !== "off") console.log(JSON.stringify({ ts: new Date().toISOString(), proc: "worker", event: "request", method: c.req.method, route, status, ms: Math.round(ms * 10) / 10, keyKind, keyId }));
  }
});
