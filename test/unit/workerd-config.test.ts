import { describe, expect, it } from "vitest";
import { renderWorkerdConfig, type WorkerDeclaration } from "../../scripts/workerd-config/workerd-config.ts";

const decl: WorkerDeclaration = {
  compatibilityDate: "2026-11-01",
  compatibilityFlags: [],
  vars: { MODE: "observe" },
  durableObjects: [
    { binding: "BUS", className: "Bus" },
    { binding: "MIND", className: "Mind" },
  ],
  services: [{ binding: "LIBSQL", service: "seed-libsql" }],
};

const layout = {
  modules: [{ name: "index.js", path: "bundle/index.js" }],
  httpAddress: "127.0.0.1:8787",
  externalServices: { "seed-libsql": "127.0.0.1:8788" },
  doStoragePath: "/tmp/a seed/do",
  uniqueKeyPrefix: "seed-abc",
  secretsFromEnv: ["SEED_DB_TOKEN"],
};

describe("workerd config", () => {
  const text = renderWorkerdConfig(decl, layout);

  it("closes egress: the global outbound is a network that allows nothing", () => {
    expect(text).toContain('globalOutbound = "no-egress"');
    expect(text).toContain('(name = "no-egress", network = (allow = []))');
    expect(text).not.toContain('"internet"');
  });

  it("points the LIBSQL binding at the libSQL server and nowhere else", () => {
    expect(text).toContain('(name = "svc-seed-libsql", external = (address = "127.0.0.1:8788", http = ()))');
    expect(text).toContain('(name = "LIBSQL", service = "svc-seed-libsql")');
  });

  it("reads secrets from the environment, never writing a value", () => {
    expect(text).toContain('(name = "SEED_DB_TOKEN", fromEnvironment = "SEED_DB_TOKEN")');
  });

  it("stores SQLite-backed Durable Objects on disk under stable keys", () => {
    expect(text).toContain('(className = "Bus", uniqueKey = "seed-abc:Bus", enableSql = true)');
    expect(text).toContain('durableObjectStorage = (localDisk = "do-storage")');
    expect(text).toContain('disk = (path = "/tmp/a seed/do", writable = true)');
  });

  it("serves HTTP on the configured address and passes vars as text", () => {
    expect(text).toContain('address = "127.0.0.1:8787", http = (), service = "seed"');
    expect(text).toContain('(name = "MODE", text = "observe")');
  });

  it("gives V8 the seed's flags (small semi-spaces: test/system/workerd-heap.test.ts shows why)", () => {
    expect(text).toContain('v8Flags = ["--max-semi-space-size=2"]');
  });

  it("refuses a service binding with no address", () => {
    expect(() => renderWorkerdConfig(decl, { ...layout, externalServices: {} })).toThrow(/LIBSQL → seed-libsql/);
  });
});
