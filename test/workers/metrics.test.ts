// GET /metrics: Prometheus text for the owner or a helper with metrics:read; every series present
// at rest; 401s counted; never a secret.
import { describe, expect, it } from "vitest";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, expectError, newAgent, unique } from "../support/worker-fetch.ts";

const FAMILIES = [
  "seed_info", "seed_metrics_part_up", "seed_http_requests_total", "seed_auth_unauthorized_total", "seed_auth_rate_limited_total",
  "seed_http_request_duration_seconds", "seed_memory_memories", "seed_libsql_statements_total", "seed_libsql_statement_seconds_total",
  "seed_libsql_wal_bytes", "seed_process_resident_memory_bytes", "seed_mind_cycles_total", "seed_mind_cycle_seconds_total",
  "seed_mind_coherence", "seed_mind_regime", "seed_mind_stalled_subsystems", "seed_mind_failing_events", "seed_mind_wake_latency_seconds",
  "seed_mind_lateness_seconds", "seed_bus_published_total", "seed_bus_delivered_total", "seed_bus_acked_total", "seed_bus_dead_lettered_total", "seed_bus_backlog",
];

function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("needs the owner's key or a helper with metrics:read", async () => {
    await expectError(await call("GET", "/metrics"), 401);
    await expectError(await call("GET", "/metrics", { key: (await newAgent()).token }), 403);
    await expectError(await call("GET", "/metrics", { key: (await grantHelper(["status:read"])).token }), 403, "missing_scope");
    expect((await call("GET", "/metrics", { key: (await grantHelper(["metrics:read"])).token })).status).toBe(200);
  });

  it("has every family with HELP and TYPE, the libSQL server and the mind answering, and no secret", async () => {
    const res = await asRoot("GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const f of FAMILIES) {
      expect(text, f).toContain(`# TYPE ${f} `);
      expect(text, f).toMatch(new RegExp(`^${f}(_bucket|_sum|_count)?[ {]`, "m"));
    }
    expect(text).toContain('seed_http_request_duration_seconds_count{route="/v1/memory/recall"}');
    expect(value(text, 'seed_metrics_part_up{part="libsql"}')).toBe(1);
    expect(value(text, 'seed_metrics_part_up{part="mind"}')).toBe(1);
    expect(value(text, 'seed_metrics_part_up{part="memory"}')).toBe(1);
    expect(value(text, 'seed_process_resident_memory_bytes{process="libsql"}')).toBeGreaterThan(1_000_000);
    for (const secret of [bindings.TEST_ROOT_KEY.split("_")[3]!, bindings.SEED_DB_TOKEN]) expect(text.includes(secret)).toBe(false);
  });

  it("the bus answers: published, delivered, acked and dead-lettered totals and each topic's backlog move with the traffic", async () => {
    const scrape = async () => (await (await asRoot("GET", "/metrics")).text());
    const a = await newAgent("metrics-bus");
    const topic = unique("metered");
    const send = (p: string, body?: unknown) => call("POST", p, { key: a.token, body });
    expect((await call("PUT", `/v1/bus/subscriptions/${topic}-sub`, { key: a.token, body: { topic, maxDeliveries: 1 } })).status).toBe(201);
    const before = await scrape();
    expect(value(before, 'seed_metrics_part_up{part="bus"}')).toBe(1);
    for (const n of [1, 2, 3]) expect((await send(`/v1/bus/topics/${topic}/messages`, { body: { n } })).status).toBe(201);
    const published = await scrape();
    expect(value(published, "seed_bus_published_total") - value(before, "seed_bus_published_total")).toBe(3);
    expect(value(published, `seed_bus_backlog{topic="${topic}"}`)).toBe(3);
    const pulled = (await (await send(`/v1/bus/subscriptions/${topic}-sub/pull`, { max: 3 })).json()) as { messages: { ackId: string }[] };
    expect(pulled.messages).toHaveLength(3);
    expect((await send(`/v1/bus/subscriptions/${topic}-sub/ack`, { ackIds: [pulled.messages[0]!.ackId, pulled.messages[1]!.ackId] })).status).toBe(200);
    // The third is nacked: with maxDeliveries 1 the next pull moves it to the dead-letter topic.
    expect((await send(`/v1/bus/subscriptions/${topic}-sub/nack`, { ackIds: [pulled.messages[2]!.ackId] })).status).toBe(200);
    expect((await send(`/v1/bus/subscriptions/${topic}-sub/pull`, { max: 3 })).status).toBe(200);
    const after = await scrape();
    const moved = (name: string) => value(after, name) - value(before, name);
    expect(moved("seed_bus_delivered_total")).toBe(3);
    expect(moved("seed_bus_acked_total")).toBe(2);
    expect(moved("seed_bus_dead_lettered_total")).toBe(1);
    expect(moved("seed_bus_published_total")).toBe(4); // the dead letter is a message on <topic>.dead
    expect(value(after, `seed_bus_backlog{topic="${topic}"}`)).toBe(0);
  });

  it("counts refused keys", async () => {
    const before = value(await (await asRoot("GET", "/metrics")).text(), "seed_auth_unauthorized_total");
    await call("GET", "/v1/owner/whoami", { key: "seed_root_aaaaaaaaaaaaaaaa_" + "0".repeat(64) });
    const after = value(await (await asRoot("GET", "/metrics")).text(), "seed_auth_unauthorized_total");
    expect(after).toBe(before + 1);
  });
});
