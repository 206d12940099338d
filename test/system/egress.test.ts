// Outward: nothing. A tiny Worker runs under the REAL workerd binary with a config produced by
// renderWorkerdConfig (the generator `seed up` uses): its fetch to an outside address and to a
// loopback server both fail, a raw TCP socket fails, and only a configured service binding works.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKERD_BIN } from "../../scripts/cli/workerd-bin.ts";
import { waitForHttp } from "../../scripts/cli/wait-http.ts";
import { renderWorkerdConfig } from "../../scripts/workerd-config/workerd-config.ts";
import { freePort, tempDir } from "../support/seed-home.ts";

const WORKER = `
import { connect } from "cloudflare:sockets";
const attempt = async (fn) => { try { return { ok: true, value: await fn() }; } catch (e) { return { ok: false, error: String(e && e.message || e) }; } };
export default {
  async fetch(req, env) {
    const u = new URL(req.url);
    const target = u.searchParams.get("target");
    if (u.pathname === "/fetch") return Response.json(await attempt(async () => (await fetch(target)).status));
    if (u.pathname === "/socket") return Response.json(await attempt(async () => { const [hostname, port] = target.split(":"); const s = connect({ hostname, port: Number(port) }); await s.opened; const w = s.writable.getWriter(); await w.write(new TextEncoder().encode("GET /raw-socket HTTP/1.0\\r\\n\\r\\n")); const r = await s.readable.getReader().read(); await s.close(); return r.done ? "closed" : "read"; }));
    if (u.pathname === "/binding") return Response.json(await attempt(async () => { const r = await env.OWN.fetch("http://own.internal/via-binding"); return { status: r.status, text: await r.text() }; }));
    if (u.pathname === "/ready") return new Response("ready");
    return new Response("?", { status: 404 });
  },
};
`;

type Attempt = { ok: boolean; value?: unknown; error?: string };

describe("egress (real workerd)", () => {
  const dir = tempDir("seed egress ");
  const seen: string[] = [];
  const rawConnections: number[] = [];
  let server: http.Server;
  let serverPort = 0;
  let workerPort = 0;
  let workerd: ChildProcess;
  let log = "";
  const onLog: (() => void)[] = [];
  /** workerd answers a refused connection with an opaque reference; its log entry says why. */
  const why = async (a: Attempt): Promise<string> => {
    const ref = /reference = (\w+)/.exec(a.error ?? "")?.[1];
    if (!ref) return "";
    while (!log.includes(ref)) await new Promise<void>((r) => onLog.push(r)); // the next chunk of log
    return log.split(/\n(?=workerd\/)/).find((entry) => entry.includes(ref)) ?? "";
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? "");
      res.end("hello from the loopback server");
    });
    server.on("connection", () => rawConnections.push(Date.now()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    serverPort = (server.address() as net.AddressInfo).port;
    workerPort = await freePort();
    writeFileSync(path.join(dir, "worker.js"), WORKER);
    mkdirSync(path.join(dir, "do"));
    const config = renderWorkerdConfig(
      { compatibilityDate: "2026-11-01", compatibilityFlags: [], vars: {}, durableObjects: [], services: [{ binding: "OWN", service: "own-server" }] },
      {
        modules: [{ name: "worker.js", path: "worker.js" }],
        httpAddress: `127.0.0.1:${workerPort}`,
        externalServices: { "own-server": `127.0.0.1:${serverPort}` },
        doStoragePath: path.join(dir, "do"),
        uniqueKeyPrefix: "egress-test",
        secretsFromEnv: [],
      },
    );
    writeFileSync(path.join(dir, "config.capnp"), config);
    workerd = spawn(WORKERD_BIN, ["serve", path.join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
    const append = (d: Buffer) => {
      log += d.toString();
      for (const w of onLog.splice(0)) w();
    };
    workerd.stdout!.on("data", append);
    workerd.stderr!.on("data", append);
    await waitForHttp(`http://127.0.0.1:${workerPort}/ready`, { timeoutMs: 20_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${log}`);
    });
  }, 60_000);

  afterAll(async () => {
    workerd?.kill("SIGTERM");
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (p: string, target?: string) => {
    const res = await fetch(`http://127.0.0.1:${workerPort}${p}${target ? `?target=${encodeURIComponent(target)}` : ""}`);
    return (await res.json()) as Attempt;
  };

  it("a fetch to a loopback server fails, and the server sees nothing", async () => {
    const r = await ask("/fetch", `http://127.0.0.1:${serverPort}/direct-loopback`);
    expect(r.ok).toBe(false);
    expect(await why(r)).toContain(`connecting to 127.0.0.1:${serverPort} is not allowed`);
    expect(seen).not.toContain("/direct-loopback");
    const self = await ask("/fetch", `http://127.0.0.1:${workerPort}/ready`);
    expect(self.ok).toBe(false);
    expect(await why(self)).toContain(`connecting to 127.0.0.1:${workerPort} is not allowed`);
  });

  it("a fetch to an outside address fails", async () => {
    const outsideIp = await ask("/fetch", "http://203.0.113.1/");
    expect(outsideIp.ok).toBe(false);
    // Refused by the network service, not a slow or absent route.
    expect(await why(outsideIp)).toContain("connecting to 203.0.113.1:80 is not allowed");
  });

  it("a fetch by host name is refused by the allow list itself, and the server sees nothing", async () => {
    // The refusal itself ("… is not allowed"), not only ok:false: an outside name (example.com)
    // gives ok:false on a machine without DNS too ("failed to lookup address information"), so it
    // proves nothing. `localhost` resolves from /etc/hosts to the loopback server that listens.
    const byName = await ask("/fetch", `http://localhost:${serverPort}/by-name`);
    expect(byName.ok).toBe(false);
    expect(await why(byName)).toContain(`connecting to localhost:${serverPort} is not allowed`);
    expect(seen).not.toContain("/by-name");
  });

  it("a raw TCP socket to the loopback server fails too", async () => {
    const before = rawConnections.length;
    const r = await ask("/socket", `127.0.0.1:${serverPort}`);
    expect(r.ok).toBe(false);
    expect(rawConnections.length).toBe(before);
    expect(seen).not.toContain("/raw-socket");
  });

  it("the configured service binding works: the one way out is the one the config names", async () => {
    const r = await ask("/binding");
    expect(r).toEqual({ ok: true, value: { status: 200, text: "hello from the loopback server" } });
    expect(seen).toContain("/via-binding");
  });
});
