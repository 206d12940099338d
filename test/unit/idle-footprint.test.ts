// What the long-lived Node processes hold at rest: neither the libSQL server nor the supervisor
// loads undici (Node's fetch/WebSocket), which would stay for their whole life — 9.4 MiB of RSS
// for a process importing node:http and node:crypto as ES modules, measured on Node 22.23.
// Each runs in a child process whose exit prints whether undici was ever loaded.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildDbServer } from "../../scripts/cli/build-db-server.ts";
import { buildSupervisor } from "../../scripts/cli/build-supervisor.ts";
import { tempDir } from "../support/seed-home.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PROBE = `data:text/javascript,process.on("exit", () => process._rawDebug("UNDICI=" + process.moduleLoadList.some((m) => m.includes("undici")) + " TLS=" + process.moduleLoadList.includes("NativeModule tls")))`;

function loaded(args: string[]): { undici: boolean; tls: boolean } {
  const r = spawnSync(process.execPath, ["--import", PROBE, ...args], { encoding: "utf8", cwd: ROOT, timeout: 60_000 });
  const m = /UNDICI=(true|false) TLS=(true|false)/.exec(r.stderr);
  if (!m) throw new Error(`no probe output (exit ${r.status}): ${r.stderr.slice(0, 2000)}`);
  return { undici: m[1] === "true", tls: m[2] === "true" };
}

describe("idle footprint of the Node processes", () => {
  it("the libSQL server's bundle imports Node's built-ins without undici, and ws without tls", async () => {
    const bundle = await buildDbServer(path.join(tempDir(), "db-server.mjs"));
    expect(loaded([bundle, "--help"])).toEqual({ undici: false, tls: false });
  });

  it("the supervisor's bundle imports Node's built-ins without undici", async () => {
    const bundle = await buildSupervisor(tempDir());
    // No home: seedUp fails at once, after every module of the bundle was evaluated.
    expect(loaded([bundle, "{}"]).undici).toBe(false);
  });

  it("the supervisor's readiness check asks the Worker without fetch", async () => {
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(req.url === "/v1/identity" ? JSON.stringify({ seedId: "seed-x" }) : JSON.stringify({ ok: true }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const dir = tempDir();
    const entry = path.join(dir, "ready.ts");
    writeFileSync(
      entry,
      `import { waitForOwnSeed } from ${JSON.stringify(path.join(ROOT, "scripts/cli/own-seed.ts"))};\n` +
        `await waitForOwnSeed("http://127.0.0.1:${port}", "seed-x", AbortSignal.timeout(20_000));\n`,
    );
    // Built as the supervisor is.
    const script = await buildSupervisor(path.join(dir, "out"), entry);
    try {
      // Not spawnSync: it would block the server above.
      const child = spawn(process.execPath, ["--import", PROBE, script], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      expect(code, stderr).toBe(0);
      expect(/UNDICI=(true|false)/.exec(stderr)?.[1]).toBe("false");
    } finally {
      server.close();
    }
  });
});
