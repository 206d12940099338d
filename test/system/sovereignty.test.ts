// `seed audit` (the sovereignty report) on a real SEED_HOME: a generated config, services,
// credentials, key files, and — through a stand-in for /proc — live connections.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { setCredential } from "../../lib/credentials.ts";
import { keys } from "../../lib/db/schema.ts";
import { auditFromCli } from "../../scripts/cli/cli-audit.ts";
import { fingerprint } from "../../scripts/cli/rotate.ts";
import { homePaths } from "../../scripts/cli/home.ts";
import { withFileDb } from "../../scripts/cli/migrate.ts";
import { initHome } from "../../scripts/cli/seed-init.ts";
import { setService, serviceAddress, readServices } from "../../scripts/cli/services.ts";
import { sovereigntyReport, verifyReport, type SignedReport } from "../../scripts/cli/sovereignty.ts";
import { renderWorkerdConfig } from "../../scripts/workerd-config/workerd-config.ts";
import { readFileSync } from "node:fs";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";

const dir = tempDir("seed sovereignty ");
const home = homePaths(path.join(dir, "seed home"));

function writeConfig(edit: (text: string) => string = (t) => t) {
  const text = renderWorkerdConfig(
    { compatibilityDate: "2026-11-01", compatibilityFlags: [], vars: {}, durableObjects: [{ binding: "BUS", className: "Bus" }], services: [{ binding: "LIBSQL", service: "seed-libsql" }] },
    {
      modules: [{ name: "index.js", path: "bundle/index.js" }],
      httpAddress: "127.0.0.1:8787",
      externalServices: { "seed-libsql": "127.0.0.1:8788" },
      ownerServices: Object.fromEntries(Object.entries(readServices(home.dir)).map(([k, v]) => [k, serviceAddress(v)])),
      doStoragePath: home.doDir,
      uniqueKeyPrefix: "seed-x",
      secretsFromEnv: ["SEED_DB_TOKEN", "SEED_MASTER_KEY", "SEED_IDENTITY_KEY"],
    },
  );
  writeFileSync(home.config, edit(text));
}

const audit = (...extra: string[]) => runCli(["audit", "--home", home.dir, ...extra]);

beforeAll(async () => {
  await initHome(home);
});

/** What `seed handoff --rotate-master-key` leaves behind: the owner's root, both secrets rotated (recorded). */
async function handedOff() {
  await withFileDb(home.db, (db) => db.update(keys).set({ name: "owner" }).where(eq(keys.kind, "root")));
  await auditFromCli(home, "handoff.rotate-db-token", "keys/db.token", { fingerprint: await fingerprint(readFileSync(home.dbToken, "utf8").trim()) });
  await auditFromCli(home, "handoff.rotate-master-key", "master.key", { fingerprint: await fingerprint(readFileSync(home.masterKey)) });
}
/** A live "workerd" for the report: this test's own process (so the connections are checked). */
const running = () => writeFileSync(home.pid("workerd"), `${process.pid}\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seed audit (system)", () => {
  it("a fresh install is not clean: the installer holds root, the db token and master key are unchanged since install", async () => {
    writeConfig();
    running();
    const r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/root: +held by installer/);
    expect(r.stdout).toContain("the installer still holds root");
    expect(r.stdout).toContain("keys/db.token is unchanged since install");
    expect(r.stdout).toContain("master.key is unchanged since install");
    await handedOff();
  });

  it("not running: the live connections are not checked, which is never clean (exit 2)", () => {
    rmSync(home.pid("workerd"), { force: true });
    const r = audit();
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("connections: not checked (the seed is not running)");
    expect(r.stdout).toContain("NOT CHECKED: no problem found, but outbound connections not checked (the seed is not running)");
    expect(r.stdout).not.toMatch(/^clean/m);
    running();
  });

  it("a never-expiring helper key is listed and not clean", async () => {
    await withFileDb(home.db, (db) => db.insert(keys).values({ id: "helperforeverxxx", kind: "helper", name: "provider", scopes: ["status:read"], secretHash: "0".repeat(64), createdAt: Date.now() }));
    const r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("never expiring: helperforeverxxx (provider)");
    expect(r.stdout).toContain("helper key helperforeverxxx (provider) never expires");
    await withFileDb(home.db, (db) => db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, "helperforeverxxx")));
    expect(audit().stdout).toContain("helpers:     none that never expires");
  });

  it("a handed-off seed is clean: egress none, no credentials; the JSON report is signed by the seed", async () => {
    writeConfig();
    const r = audit();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("egress:      closed");
    expect(r.stdout).toContain("LIBSQL → 127.0.0.1:8788: the seed's own");
    expect(r.stdout).toContain("credentials: none");
    expect(r.stdout).toContain("clean: 0 outbound connections, egress: none");
    expect(r.stdout).toMatch(/root: +held by owner/);
    expect(r.stdout).toMatch(/keys\/db.token: rotated \(rotated /);
    const json = JSON.parse(audit("--json").stdout) as SignedReport;
    expect(json.clean).toBe(true);
    expect(await verifyReport(json)).toBe(true);
    expect(await verifyReport({ ...json, clean: false })).toBe(false);
    const pub = readFileSync(home.identityPub, "utf8");
    expect(pub).toContain("BEGIN PUBLIC KEY");
    expect(json.signature.seedId).toBe(json.seedId);
  });

  it("an owner service and its credential are listed and allowed", async () => {
    setService(home.dir, "LLM", "https://198.51.100.10");
    await withFileDb(home.db, (db) => setCredential(db, readFileSync(home.masterKey), { name: "llm-key", host: "198.51.100.10", secret: "sk-test-secret" }));
    writeConfig();
    const r = audit();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("LLM → 198.51.100.10:443 (https): configured by the owner");
    expect(r.stdout).toContain("credentials: llm-key → 198.51.100.10 (service LLM)");
    expect(r.stdout).toContain("clean: 0 outbound connections, egress: LLM → 198.51.100.10:443");
    expect(r.stdout).not.toContain("sk-test-secret");
    expect(audit("--json").stdout).not.toContain("sk-test-secret");
  });

  it("a credential for a host no service reaches — a key to someone else's system — is not clean", async () => {
    await withFileDb(home.db, (db) => setCredential(db, readFileSync(home.masterKey), { name: "colony", host: "bus.provider.example", secret: "x" }));
    const r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("credential colony is for bus.provider.example, which no configured service reaches");
    await withFileDb(home.db, async (db) => (await import("../../lib/credentials.ts")).removeCredential(db, "colony"));
    expect(audit().status).toBe(0);
  });

  it("open egress, an unknown external service or a foreign env binding is not clean", () => {
    writeConfig((t) => t.replace("network = (allow = [])", 'network = (allow = ["public"])'));
    let r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("egress is open");
    expect(r.stdout).toContain('network service "no-egress" allows public');

    writeConfig((t) => t.replace("  services = [\n", '  services = [\n    (name = "colony-bus", external = (address = "203.0.113.7:443", https = ())),\n'));
    r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('external service "colony-bus" (203.0.113.7:443) is not the seed\'s own and not configured by the owner');

    writeConfig((t) => t.replace("  bindings = [\n", '  bindings = [\n    (name = "COLONY", fromEnvironment = "COLONY_KEY"),\n'));
    r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("binding COLONY reads COLONY_KEY from workerd's environment");
    writeConfig();
  });

  it("a key file the seed did not make is not clean", () => {
    writeFileSync(path.join(home.keysDir, "provider.key"), "seed_root_x\n");
    const r = audit();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("provider.key is not one of the seed's own key files");
    rmSync(path.join(home.keysDir, "provider.key"));
  });

  it("live connections: an unexplained outbound connection is not clean; one to a configured service is", async () => {
    writeConfig();
    // A stand-in /proc for a live "workerd" (this test's own pid, so it is alive).
    const proc = path.join(dir, "proc");
    const pid = process.pid;
    mkdirSync(path.join(proc, String(pid), "fd"), { recursive: true });
    mkdirSync(path.join(proc, String(pid), "net"), { recursive: true });
    for (const [fd, inode] of [["3", 1001], ["4", 1002], ["5", 1003]] as const) symlinkSync(`socket:[${inode}]`, path.join(proc, String(pid), "fd", fd));
    const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    const line = (n: number, local: string, remote: string, st: string, inode: number) => `   ${n}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1\n`;
    writeFileSync(
      path.join(proc, String(pid), "net", "tcp"),
      header +
        line(0, "0100007F:2253", "00000000:0000", "0A", 1001) + // listening on 127.0.0.1:8787
        line(1, "0100007F:2253", "0100007F:D431", "01", 1002) + // a local client
        line(2, "0F02000A:C350", "077100CB:01BB", "01", 1003), // out to 203.0.113.7:443
    );
    try {
      let r = await sovereigntyReport(home.dir, { procRoot: proc });
      expect(r.clean).toBe(false);
      expect(r.connections.outbound).toEqual([{ process: "workerd", local: "10.0.2.15:50000", remote: "203.0.113.7:443", state: "ESTABLISHED", via: null }]);
      expect(r.connections.loopback).toBe(1);
      expect(r.problems).toContain(`workerd (pid ${pid}) has a connection out to 203.0.113.7:443 that no configured service explains`);
      // The same connection through a service the owner configured is egress they chose.
      setService(home.dir, "EMBEDDINGS", "https://203.0.113.7");
      writeConfig();
      r = await sovereigntyReport(home.dir, { procRoot: proc });
      expect(r.problems).toEqual([]);
      expect(r.connections.outbound[0]!.via).toBe("EMBEDDINGS");
      expect(r.summary).toBe("clean: 0 outbound connections, egress: LLM → 198.51.100.10:443, EMBEDDINGS → 203.0.113.7:443");
    } finally {
      running();
    }
  });
});
