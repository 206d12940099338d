// `seed install` for real (as root): a dedicated user, the runtime copied under a prefix, the home
// built and owned by that user, units that `systemd-analyze verify` accepts — and, since no
// systemd runs here, the units' exact command lines run as that user, the seed answering as
// itself. Then the real Caddy with the generated configuration, forwarding exactly the public set.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireCommand } from "../../scripts/cli/system-packages.ts";
import { runCli } from "../support/cli.ts";
import { freePort, tempDir } from "../support/seed-home.ts";

/** One systemd command line → words (double quotes with backslash escapes; `$$` is a literal `$`). */
function execWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push((m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!).replace(/\$\$/g, "$"));
  return words;
}

/** GET with the path exactly as given (fetch would normalise the dot segments away). */
function rawGet(port: number, target: string, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => {
      sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`);
    });
    let out = "";
    sock.on("data", (d) => (out += d));
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}

function unitSetting(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!);
}

function unquoteAssignment(v: string): [string, string] {
  const s = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v;
  const i = s.indexOf("=");
  return [s.slice(0, i), s.slice(i + 1)];
}

function collect(child: ChildProcess): { text: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void> } {
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return {
    text: () => out,
    waitFor: async (re, ms = 60_000) => {
      for (const end = Date.now() + ms; Date.now() < end; await delay(50)) {
        if (re.test(out)) return;
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${re}:\n${out}`);
      }
      throw new Error(`no ${re} within ${ms} ms:\n${out}`);
    },
  };
}

describe("seed install (system)", () => {
  const dir = tempDir("seed install ");
  const home = path.join(dir, "var lib seed");
  const prefix = path.join(dir, "opt seed");
  const unitDir = path.join(dir, "units");
  const binDir = path.join(dir, "bin");
  const caddyfile = path.join(dir, "Caddyfile");
  const user = `seedt${randomBytes(3).toString("hex")}`;
  let port = 0;
  let caddyPort = 0;
  const children: ChildProcess[] = [];
  let uid = 0;
  let gid = 0;
  let seedId = "";

  beforeAll(async () => {
    requireCommand("systemd-analyze");
    requireCommand("caddy");
    chmodSync(dir, 0o755); // the service user must reach its home and the runtime
    port = await freePort();
    caddyPort = await freePort();
    const r = runCli([
      "install", "--home", home, "--user", user, "--prefix", prefix, "--unit-dir", unitDir, "--bin-dir", binDir,
      "--port", String(port), "--db-port", String(await freePort()), "--public-host", `http://127.0.0.1:${caddyPort}`, "--caddyfile", caddyfile, "--json",
    ], {}, undefined, 300_000);
    expect(r.status, r.stderr).toBe(0);
    seedId = (JSON.parse(r.stdout) as { seedId: string }).seedId;
    const ids = spawnSync("id", ["-u", user], { encoding: "utf8" });
    uid = Number(ids.stdout.trim());
    gid = Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
  }, 400_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await delay(0);
    if (existsSync(path.join(home, "install.json"))) runCli(["uninstall", "--home", home]);
    spawnSync("userdel", [user], { stdio: "ignore" });
  });

  it("--dry-run shows the units and changes nothing (no secret in what it prints)", () => {
    const other = path.join(dir, "dry home");
    const r = runCli(["install", "--dry-run", "--home", other, "--user", "seeddry", "--prefix", path.join(dir, "dry prefix"), "--unit-dir", path.join(dir, "dry units"), "--bin-dir", path.join(dir, "dry bin")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("dry run: nothing was changed");
    expect(r.stdout).toContain("IPAddressDeny=any");
    expect(r.stdout).not.toContain(readFileSync(path.join(home, "keys", "db.token"), "utf8").trim());
    for (const p of [other, path.join(dir, "dry prefix"), path.join(dir, "dry units")]) expect(existsSync(p), p).toBe(false);
    expect(spawnSync("id", ["seeddry"]).status).not.toBe(0);
  });

  it("the home belongs to the dedicated user: folders 0700, files 0600", () => {
    expect(statSync(home).uid).toBe(uid);
    expect(spawnSync("getent", ["passwd", user], { encoding: "utf8" }).stdout).toMatch(/:\/usr\/sbin\/nologin$/m);
    const walk = (p: string): void => {
      const st = statSync(p);
      expect(st.uid, p).toBe(uid);
      if (st.isDirectory()) {
        if (!p.startsWith(path.join(home, "run", "bundle"))) expect((st.mode & 0o777).toString(8), p).toBe("700");
        for (const e of readdirSync(p)) walk(path.join(p, e));
      } else if (!p.startsWith(path.join(home, "run", "bundle"))) {
        expect((st.mode & 0o777).toString(8), p).toBe("600");
      }
    };
    walk(home);
  });

  it("systemd-analyze verify accepts the units; they are hardened with an egress lock", () => {
    const all = ["seed-libsql.service", "seed.service", "seed-backup.service", "seed-backup.timer"].map((u) => path.join(unitDir, u));
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...all], { encoding: "utf8" });
    const units = all.slice(0, 2);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.includes(unitDir))).toEqual([]);
    for (const u of units) {
      const text = readFileSync(u, "utf8");
      for (const s of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "IPAddressDeny=any", "IPAddressAllow=localhost", "Restart=on-failure", `User=${user}`]) {
        expect(text, `${u}: ${s}`).toContain(`\n${s}\n`);
      }
      expect(text).toMatch(/^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$/m);
      expect(text).toMatch(/^MemoryMax=\d+M$/m);
      expect(text).toMatch(/^StartLimitBurst=\d+$/m);
      // Nothing runs from the checkout: the runtime is the installed one.
      for (const line of unitSetting(text, "ExecStart")) expect(execWords(line)[0]!.startsWith(path.join(prefix, "current"))).toBe(true);
    }
  });

  it("the units' exact command lines run as the dedicated user, and the seed answers as itself", async () => {
    for (const name of ["seed-libsql.service", "seed.service"]) {
      const text = readFileSync(path.join(unitDir, name), "utf8");
      const env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin" };
      for (const v of unitSetting(text, "Environment")) {
        const [k, val] = unquoteAssignment(v);
        env[k] = val;
      }
      for (const f of unitSetting(text, "EnvironmentFile")) {
        for (const l of readFileSync(f.replace(/%%/g, "%"), "utf8").split("\n").filter(Boolean)) {
          const i = l.indexOf("=");
          env[l.slice(0, i)] = l.slice(i + 1);
        }
      }
      const [cmd, ...args] = execWords(unitSetting(text, "ExecStart")[0]!);
      const child = spawn("setpriv", ["--reuid", String(uid), "--regid", String(gid), "--init-groups", "--", cmd!, ...args], { env, cwd: "/", stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      const out = collect(child);
      if (name === "seed-libsql.service") await out.waitFor(/"event":"listening"/);
      // ExecStartPost, as the user too: it records the main PID for `seed status`.
      const [postCmd, ...postArgs] = execWords(unitSetting(text, "ExecStartPost")[0]!);
      const post = spawnSync("setpriv", ["--reuid", String(uid), "--regid", String(gid), "--init-groups", "--", postCmd!, ...postArgs], { env: { ...env, MAINPID: String(child.pid) } });
      expect(post.status).toBe(0);
    }
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {}
      await delay(50);
    }
    const identity = (await (await fetch(`http://127.0.0.1:${port}/v1/identity`)).json()) as { seedId: string };
    expect(identity.seedId).toBe(seedId);
    // The installed `seed` command, run as root, drops to the user and sees its seed ready.
    const st = spawnSync(path.join(binDir, "seed"), ["status", "--json"], { encoding: "utf8" });
    expect(st.status, st.stderr + st.stdout).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ state: "ready", seedId, home });
    // The processes run as the user, not root.
    for (const f of ["libsql.pid", "workerd.pid"]) {
      const pid = readFileSync(path.join(home, "run", f), "utf8").trim();
      expect(statSync(`/proc/${pid}`).uid, f).toBe(uid);
    }
  }, 180_000);

  it("Caddy with the generated configuration forwards exactly the public set, nothing of /v1/owner", async () => {
    const caddy = spawn(requireCommand("caddy"), ["run", "--config", caddyfile, "--adapter", "caddyfile"], {
      env: { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: path.join(dir, "caddy data"), XDG_CONFIG_HOME: path.join(dir, "caddy config") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(caddy);
    const base = `http://127.0.0.1:${caddyPort}`;
    for (let i = 0; i < 400; i++) {
      try {
        await fetch(`${base}/healthz`);
        break;
      } catch {}
      await delay(50);
    }
    const rootKey = readFileSync(path.join(home, "keys", "root.key"), "utf8").trim();
    /** "forwarded" when the seed answered, "blocked" when Caddy did. */
    const via = async (p: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${p}`, { ...init, headers: { Authorization: `Bearer ${rootKey}`, ...init.headers } });
      const body = await res.text();
      return /not reachable from the internet|bad_path/.test(body) ? "blocked" : `forwarded ${res.status}`;
    };
    expect(await via("/healthz")).toBe("forwarded 200");
    for (const p of ["/readyz", "/v1/identity", "/v1/status", "/v1/mind", "/v1/mind/coherence", "/v1/work", "/v1/bus/whoami", "/v1/bus/subscriptions", "/v1/memory/status", "/v1/audit", "/v1/audit/checkpoints", "/mcp", "/metrics", "/v1/hooks/github", "/v1/openapi.json"]) {
      expect(await via(p), p).toMatch(/^forwarded /);
    }
    // The owner's routes and the console: never, whatever the key and however the path is spelled.
    for (const p of ["/", "/v1/owner/whoami", "/v1/owner/keys", "/V1/owner/whoami", "/v1/ownerx", "/v1/bus/../owner/whoami", "/v1/bus/%2e%2e/owner/whoami", "/v1/bus/..%2fowner/whoami", "/v1/bus%2f..%2fowner/whoami", "//v1/owner/whoami", "/v1/hooks/%2e%2e/%2e%2e/v1/owner/keys", "/v1/owner%2fwhoami"]) {
      expect(await via(p), p).toBe("blocked");
    }
    // Raw request lines, as a client that does not normalise would send them.
    for (const p of ["/v1/bus/../owner/whoami", "/v1/status/../owner/keys", "/v1/hooks/x/../../owner/keys", "/v1/bus/./../owner/keys"]) {
      expect(await rawGet(caddyPort, p, rootKey), p).toMatch(/not reachable from the internet|bad_path/);
    }
  }, 120_000);

  it("seed uninstall removes the units, the command, the runtime and the user, never the data", () => {
    for (const c of children) c.kill("SIGTERM");
    const r = runCli(["uninstall", "--home", home, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    for (const p of [path.join(unitDir, "seed.service"), path.join(unitDir, "seed-libsql.service"), path.join(unitDir, "seed-backup.timer"), path.join(binDir, "seed"), prefix]) expect(existsSync(p), p).toBe(false);
    expect(spawnSync("id", [user]).status).not.toBe(0);
    for (const f of ["db/seed.db", "master.key", "identity/seed.key", "keys/root.key"]) expect(existsSync(path.join(home, f)), f).toBe(true);
    expect(statSync(home).uid).toBe(0);
  });
});
