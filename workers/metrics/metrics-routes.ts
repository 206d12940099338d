// GET /metrics: Prometheus text for the owner (root key) or a helper with `metrics:read`. Each
// organ's numbers come from its own accessor; one that cannot answer is reported as
// seed_metrics_part_up{part} 0 instead of failing the whole scrape. Every series is present at
// rest, with zeros, not only after traffic.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { sql } from "drizzle-orm";
import type { BusMetrics } from "../../lib/bus/wire.ts";
import { VERSION } from "../../lib/version.ts";
import { identity } from "../../lib/db/schema.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { openApp } from "../http/open-app.ts";
import { Exposition } from "./prometheus.ts";
import { DURATION_BUCKETS, requestStats } from "./request-metrics.ts";
import { busStub } from "../../durable/bus/bus-stub.ts";

type LibsqlStats = { statements: number; statementMs: number; walBytes: number; rssBytes: number; openStreams: number };
type MindMetrics = { cycles: number; cycleMsTotal: number; lastCycleMs: number | null; C: number | null; regime: string; stalled: number; failing: number; missed?: number; wakeLatencyMs: number | null; lateByMs: number | null };

async function part<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch {
    return null;
  }
}

const scrape = createRoute({
  method: "get",
  path: "/",
  middleware: [access({ owner: true, helper: "metrics:read" })],
  responses: { 200: { description: "Prometheus text exposition (version 0.0.4)", content: { "text/plain": { schema: z.string() } } } },
});

export const metricsRoutes = openApp().openapi(scrape, async (c) => {
  const env = c.env;
  const [seed, memories, libsql, mind, bus] = await Promise.all([
    part(async () => (await c.var.db.select({ seedId: identity.seedId }).from(identity).get())?.seedId ?? "unknown"),
    part(async () => (await c.var.db.get<{ n: number }>(sql`select count(*) as n from memories`))?.n ?? 0),
    part(async () => {
      const res = await env.LIBSQL.fetch("http://libsql/stats", { headers: { Authorization: `Bearer ${env.SEED_DB_TOKEN}` } });
      if (!res.ok) throw new Error(`libSQL /stats ${res.status}`);
      return (await res.json()) as LibsqlStats;
    }),
    part(() => env.MIND.get(env.MIND.idFromName("mind")).metrics() as Promise<MindMetrics>),
    part(() => busStub(env).metrics() as Promise<BusMetrics>),
  ]);
  const x = new Exposition();
  x.family("seed_info", "gauge", "The seed: its version and id.")(1, { version: VERSION, seed_id: seed ?? "unknown" });
  const up = x.family("seed_metrics_part_up", "gauge", "1 when the part answered this scrape.");
  for (const [p, v] of Object.entries({ libsql, mind, bus, memory: memories })) up(v === null ? 0 : 1, { part: p });

  const req = x.family("seed_http_requests_total", "counter", "HTTP requests since workerd started, by key kind and status.");
  for (const kind of ["none", "root", "agent", "helper"]) for (const status of ["200", "401", "403"]) if (!requestStats.requests.has(`${kind} ${status}`)) req(0, { kind, status });
  for (const [k, n] of requestStats.requests) {
    const [kind, status] = k.split(" ");
    req(n, { kind: kind!, status: status! });
  }
  x.family("seed_auth_unauthorized_total", "counter", "Requests refused with 401 (missing, wrong, expired or revoked key).")(requestStats.unauthorized);
  x.family("seed_auth_rate_limited_total", "counter", "Requests refused with 429 by the failed-authentication limiter.")(requestStats.rateLimited);
  const dur = x.family("seed_http_request_duration_seconds", "histogram", "Time to answer, by route pattern (memory recall: route=/v1/memory/recall).");
  for (const [route, t] of requestStats.timings) {
    DURATION_BUCKETS.forEach((b, i) => dur(t.buckets[i]!, { route, le: String(b) }, "_bucket"));
    dur(t.count, { route, le: "+Inf" }, "_bucket");
    dur(t.sum, { route }, "_sum");
    dur(t.count, { route }, "_count");
  }

  x.family("seed_memory_memories", "gauge", "Memories stored.")(memories ?? 0);

  x.family("seed_libsql_statements_total", "counter", "SQL statements the libSQL server executed since it started.")(libsql?.statements ?? 0);
  x.family("seed_libsql_statement_seconds_total", "counter", "Time spent executing them.")((libsql?.statementMs ?? 0) / 1000);
  x.family("seed_libsql_wal_bytes", "gauge", "Size of the database's write-ahead log.")(libsql?.walBytes ?? 0);
  x.family("seed_libsql_open_streams", "gauge", "Open Hrana streams (interactive transactions).")(libsql?.openStreams ?? 0);
  x.family("seed_process_resident_memory_bytes", "gauge", "Resident memory of a seed process.")(libsql?.rssBytes ?? 0, { process: "libsql" });

  x.family("seed_mind_cycles_total", "counter", "Cycles the mind ran.")(mind?.cycles ?? 0);
  x.family("seed_mind_cycle_seconds_total", "counter", "Time the mind spent in cycles.")((mind?.cycleMsTotal ?? 0) / 1000);
  x.family("seed_mind_last_cycle_seconds", "gauge", "Duration of the last cycle.")((mind?.lastCycleMs ?? 0) / 1000);
  x.family("seed_mind_coherence", "gauge", "C: the fast EWMA of the completion ratio (NaN: no signal).")(mind?.C ?? NaN);
  const regime = x.family("seed_mind_regime", "gauge", "1 for the current regime.");
  for (const r of ["flow", "coercion", "chaos", "stall", "no_signal"]) regime(mind?.regime === r ? 1 : 0, { regime: r });
  x.family("seed_mind_stalled_subsystems", "gauge", "Subsystems flagged stalled.")(mind?.stalled ?? 0);
  x.family("seed_mind_failing_events", "gauge", "Events failing or quarantined.")(mind?.failing ?? 0);
  x.family("seed_mind_wake_latency_seconds", "gauge", "From a wake (webhook, new work) to the cycle that handled it.")((mind?.wakeLatencyMs ?? 0) / 1000);
  x.family("seed_mind_lateness_seconds", "gauge", "How late the mind's alarm is (0 when on time).")((mind?.lateByMs ?? 0) / 1000);

  for (const [name, key, help] of [
    ["seed_bus_published_total", "published", "Messages published."],
    ["seed_bus_delivered_total", "delivered", "Deliveries (pull or push), redeliveries included."],
    ["seed_bus_acked_total", "acked", "Messages acknowledged."],
    ["seed_bus_dead_lettered_total", "deadLettered", "Messages moved to a dead-letter topic."],
  ] as const) {
    x.family(name, "counter", help)(bus?.[key] ?? 0);
  }
  const backlog = x.family("seed_bus_backlog", "gauge", "Messages not yet acknowledged, per topic.");
  if (!bus || bus.topics.length === 0) backlog(0, { topic: "" });
  for (const t of bus?.topics ?? []) backlog(t.backlog, { topic: t.topic });

  return c.text(x.text(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
});
