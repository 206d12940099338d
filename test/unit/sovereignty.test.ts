import { describe, expect, it } from "vitest";
import { parseOutbound } from "../../scripts/cli/capnp-outbound.ts";
import { classify, decodeAddress, parseProcNetTcp } from "../../scripts/cli/proc-net.ts";
import { renderWorkerdConfig, type WorkerDeclaration } from "../../scripts/workerd-config/workerd-config.ts";

const decl: WorkerDeclaration = {
  compatibilityDate: "2026-11-01",
  compatibilityFlags: [],
  vars: {},
  durableObjects: [{ binding: "BUS", className: "Bus" }],
  services: [{ binding: "LIBSQL", service: "seed-libsql" }],
};
const layout = {
  modules: [{ name: "index.js", path: "bundle/index.js" }],
  httpAddress: "127.0.0.1:8787",
  externalServices: { "seed-libsql": "127.0.0.1:8788" },
  ownerServices: { LLM: { address: "api.example.com:443", tls: true } },
  doStoragePath: "/tmp/do",
  uniqueKeyPrefix: "seed-x",
  secretsFromEnv: ["SEED_DB_TOKEN", "SEED_IDENTITY_KEY"],
};

describe("reading outbound capabilities from the generated config", () => {
  it("finds the closed global outbound, every external service and what binds to it", () => {
    const o = parseOutbound(renderWorkerdConfig(decl, layout));
    expect(o.globalOutbound).toBe("no-egress");
    expect(o.networks).toEqual([{ name: "no-egress", allow: [] }]);
    expect(o.externals).toEqual([
      { name: "svc-seed-libsql", address: "127.0.0.1:8788", tls: false },
      { name: "owner-llm", address: "api.example.com:443", tls: true },
    ]);
    expect(o.serviceBindings).toEqual([
      { binding: "LIBSQL", service: "svc-seed-libsql" },
      { binding: "LLM", service: "owner-llm" },
    ]);
    expect(o.envBindings.map((e) => e.variable)).toEqual(["SEED_DB_TOKEN", "SEED_IDENTITY_KEY"]);
    expect(o.unread).toEqual([]);
  });

  it("sees an opened network, and reports outbound entries it cannot read instead of skipping them", () => {
    const text = renderWorkerdConfig(decl, layout);
    const open = parseOutbound(text.replace("network = (allow = [])", 'network = (allow = ["public", "private"])'));
    expect(open.networks).toEqual([{ name: "no-egress", allow: ["public", "private"] }]);
    const odd = parseOutbound(text.replace("  services = [\n", '  services = [\n    (name = "x", external = (address = "10.0.0.1:80", http = (style = host))),\n'));
    expect(odd.unread).toContain("an external service this audit cannot read");
    const twoGlobals = parseOutbound(`${text}\nglobalOutbound = "internet",`);
    expect(twoGlobals.unread).toContain("a globalOutbound this audit cannot read");
  });
});

// Lines as the kernel prints them (header, then one socket per line).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2253 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2253 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0A00020F:C350 22D8B85D:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:2253 0100000A:E001 01 00000000:00000000 00:00000000 00000000  1000        0 1004 1 0000000000000000 20 4 30 10 -1
   4: 0A00020F:C351 22D8B85D:01BB 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2254 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2001 1
   1: 0000000000000000FFFF00000100007F:2254 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2002 1
   2: B80D0120000000000000000001000000:D000 B80D0120000000000000000002000000:01BB 02 00000000:00000000 00:00000000 00000000  1000        0 2003 1
`;

describe("reading live connections from /proc", () => {
  it("decodes IPv4, IPv6 and IPv4-mapped addresses", () => {
    expect(decodeAddress("0100007F")).toBe("127.0.0.1");
    expect(decodeAddress("22D8B85D")).toBe("93.184.216.34");
    expect(decodeAddress("00000000000000000000000001000000")).toBe("::1");
    expect(decodeAddress("0000000000000000FFFF00000100007F")).toBe("127.0.0.1");
    expect(decodeAddress("B80D0120000000000000000001000000")).toBe("2001:db8::1");
  });

  it("parses sockets and tells listening, inbound, outbound and loopback apart", () => {
    const sockets = [...parseProcNetTcp(TCP), ...parseProcNetTcp(TCP6)].filter((s) => s.inode !== 0);
    expect(sockets).toHaveLength(7);
    const c = classify(sockets);
    expect(c.listening).toEqual([{ ip: "127.0.0.1", port: 8787 }, { ip: "::1", port: 8788 }]);
    expect(c.inbound.map((s) => [s.remote.ip, s.remoteLoopback])).toEqual([
      ["127.0.0.1", true],
      ["10.0.0.1", false],
      ["127.0.0.1", true],
    ]);
    expect(c.outbound.map((s) => [`${s.remote.ip}:${s.remote.port}`, s.state, s.remoteLoopback])).toEqual([
      ["93.184.216.34:443", "ESTABLISHED", false],
      ["2001:db8::2:443", "SYN_SENT", false],
    ]);
  });
});
