// GET /metrics: Prometheus text for the owner or a helper with metrics:read; every series present
// at rest; 401s counted; never a secret.
import { describe, expect, it } from "vitest";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, call, expectError, newAgent } from "../support/worker-fetch.ts";

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

  it("counts refused keys", async () => {
    const before = value(await (await asRoot("GET", "/metrics")).text(), "seed_auth_unauthorized_total");
    await call("GET", "/v1/owner/whoami", { key: "seed_root_aaaaaaaaaaaaaaaa_" + "0".repeat(64) });
    const after = value(await (await asRoot("GET", "/metrics")).text(), "seed_auth_unauthorized_total");
    expect(after).toBe(before + 1);
  });
});
