// The CLI against a running seed: status, agents, services, credentials.
import { spawnSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request as httpRequest } from "node:http";
import path from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../support/cli.ts";
import { startSeed, watchOutput, type SeedProcess } from "../support/seed-process.ts";

describe("seed CLI against a running seed (system)", () => {
  let seed: SeedProcess;
  beforeAll(async () => {
    seed = await startSeed();
  }, 300_000);
  afterAll(async () => {
    await seed?.stop();
  });
  const cli = (...args: string[]) => runCli([...args, "--home", seed.home]);

  it("status reports both processes, the seed id and readiness", () => {
    const r = cli("status", "--json");
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { running: boolean; ready: boolean; seedId: string; processes: { name: string; alive: boolean }[]; httpUrl: string; databaseBytes: number };
    expect(s).toMatchObject({ running: true, ready: true, httpUrl: seed.url });
    expect(s.seedId).toMatch(/^seed-/);
    expect(s.processes.map((p) => [p.name, p.alive])).toEqual([["seed", true], ["libsql", true], ["workerd", true]]);
    expect(s.databaseBytes).toBeGreaterThan(0);
    expect(cli("status").stdout).toContain("ready:    yes");
  });

  it("agents add / list / remove, with the token shown once and revoked on remove", async () => {
    const add = cli("agents", "add", "billing bot", "--capability", "invoices", "--capability", "email", "--json");
    expect(add.status, add.stderr).toBe(0);
    const a = JSON.parse(add.stdout) as { id: string; token: string; capabilities: string[] };
    expect(a.capabilities).toEqual(["invoices", "email"]);
    const who = await fetch(`${seed.url}/v1/bus/whoami`, { headers: { Authorization: `Bearer ${a.token}` } });
    expect(who.status).toBe(200);
    const list = cli("agents", "list");
    expect(list.stdout).toContain(a.id);
    expect(list.stdout).toContain("billing bot");
    expect(list.stdout).not.toContain(a.token);
    expect(cli("agents", "remove", a.id).status).toBe(0);
    expect((await fetch(`${seed.url}/v1/bus/whoami`, { headers: { Authorization: `Bearer ${a.token}` } })).status).toBe(401);
    const again = cli("agents", "remove", a.id);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^seed: 404 agent_not_found: no agent "[^"]+" \(see seed agents list\)$/m);
  });

  it("agents and approvals over the typed client: a definition's refusal names the flag, approvals list and decide", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "seed agents "));
    const instructions = path.join(dir, "instructions.md");
    writeFileSync(instructions, "Take notes.");
    const own = ["--model", "m", "--instructions-file", instructions];
    const refusals: [string[], string][] = [
      [["agents", "add", "bad/name"], "NAME: 1-64 letters, digits, spaces, . _ -"],
      [["agents", "add", "notes", ...own, "--max-task-time", "3d"], "--max-task-time: a duration like 90s, 10m or 2h (1 s to 24 h)"],
      [["agents", "add", "notes", "--price-in", "1", "--price-out", "2"], "--price-in/--price-out: only for the seed's own agents: give a model too"],
    ];
    for (const [args, message] of refusals) expect(cli(...args).stderr.trim()).toBe(`seed: 422 invalid_input: ${message}`);
    rmSync(dir, { recursive: true });
    const list = cli("approvals", "list", "--all", "--json");
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(cli("approvals", "deny", "apr_nope", "--reason", "no").stderr.trim()).toBe("seed: 404 approval_not_found: no approval apr_nope");
  });

  it("a command that needs a running seed says so in one line", () => {
    const r = runCli(["agents", "list", "--home", path.join(seed.home, "elsewhere")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("no seed is running");
  });

  it("credentials come from stdin, are stored encrypted and never printed", () => {
    const secret = "sk-live-do-not-leak-0123456789";
    const main = path.resolve(import.meta.dirname, "../../scripts/cli/main.ts");
    const set = spawnSync(process.execPath, [...process.execArgv, main, "credentials", "set", "llm-key", "--host", "llm.example", "--home", seed.home], { input: secret, encoding: "utf8" });
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(secret);
    const list = cli("credentials", "list", "--json");
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: "llm-key", host: "llm.example" })]);
    expect(list.stdout).not.toContain(secret);
    for (const f of ["db/seed.db", "db/seed.db-wal"]) {
      let bytes = Buffer.alloc(0);
      try {
        bytes = readFileSync(path.join(seed.home, f));
      } catch {}
      expect(bytes.includes(secret)).toBe(false);
      // Not merely encoded: neither base64 nor hex of the secret is there either.
      expect(bytes.includes(Buffer.from(secret).toString("base64"))).toBe(false);
      expect(bytes.includes(Buffer.from(secret).toString("hex"))).toBe(false);
    }
    // Encrypted: the stored row opens with master.key as AES-256-GCM (node:crypto, not the
    // seed's own code), bound to its name and host; a flipped bit does not open.
    const db = new Database(path.join(seed.home, "db", "seed.db"), { readonly: true });
    const row = db.prepare("SELECT ciphertext FROM credentials WHERE name = ?").get("llm-key") as { ciphertext: string };
    db.close();
    const master = readFileSync(path.join(seed.home, "master.key"));
    expect(master.length).toBe(32);
    const open = (raw: Buffer) => {
      const decipher = createDecipheriv("aes-256-gcm", master, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from("seed-credential\0llm-key\0llm.example"));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    };
    const raw = Buffer.from(row.ciphertext, "base64");
    expect(open(raw)).toBe(secret);
    raw[raw.length - 1]! ^= 1;
    expect(() => open(raw)).toThrow();
  });

  it("services: only valid names and URLs without secrets are accepted", () => {
    expect(cli("services", "set", "LLM", "--url", "http://127.0.0.1:9").status).toBe(0);
    expect(JSON.parse(cli("services", "list", "--json").stdout)).toEqual({ LLM: { url: "http://127.0.0.1:9" } });
    const bad = cli("services", "set", "LLM", "--url", "http://user:pw@example.com");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("never in a URL");
    expect(cli("services", "set", "LIBSQL", "--url", "http://127.0.0.1:1").stderr).toContain("reserved");
    expect(cli("services", "remove", "LLM").status).toBe(0);
  });
  // Issue 14: the bus, memory and the work ledger without curl.
  // A connection of its own per call: fetch's pooled keep-alive socket may have been closed by
  // workerd while the CLI cases ran (undici then fails with "other side closed").
  const root = (method: string, p: string, body?: unknown) =>
    new Promise<{ status: number; json: () => Promise<unknown> }>((resolve, reject) => {
      const req = httpRequest(`${seed.url}${p}`, { method, agent: false, headers: { Authorization: `Bearer ${seed.rootKey()}`, "Content-Type": "application/json" } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode!, json: async () => JSON.parse(text) as unknown }));
      });
      req.on("error", reject).end(body === undefined ? undefined : JSON.stringify(body));
    });

  it("bus publish, pull and stats; a bad topic names the argument, a bad flag names the flag", () => {
    const pub = cli("bus", "publish", "orders", '{"id": 7}', "--idempotency-key", "order-7", "--json");
    expect(pub.status, pub.stderr).toBe(0);
    const first = JSON.parse(pub.stdout) as { id: string; seq: number };
    expect(JSON.parse(cli("bus", "publish", "orders", '{"id": 7}', "--idempotency-key", "order-7", "--json").stdout)).toEqual(first);
    expect(cli("bus", "publish", "orders", "--text", "plain words").stdout).toMatch(/^published to orders: seq \d+ \(/);
    const pull = cli("bus", "pull", "billing", "--topic", "orders", "--max", "10", "--json");
    expect(pull.status, pull.stderr).toBe(0);
    expect((JSON.parse(pull.stdout) as { body: unknown }[]).map((m) => m.body)).toEqual([{ id: 7 }, "plain words"]);
    expect(cli("bus", "pull", "billing").stdout.trim()).toBe("no messages on billing"); // acked
    const stats = JSON.parse(cli("bus", "stats", "billing", "--json").stdout) as { backlog: number; inFlight: number; topic: string };
    expect(stats).toMatchObject({ topic: "orders", backlog: 0, inFlight: 0 });
    expect(cli("bus", "stats").stdout).toMatch(/billing\s+orders/);

    const badTopic = cli("bus", "publish", "Not A Topic", "1");
    expect(badTopic.status).toBe(1);
    expect(badTopic.stderr.trim()).toBe("seed: 422 invalid_input: TOPIC: topic names are [a-z0-9][a-z0-9._-]{0,127}");
    expect(cli("bus", "pull", "billing", "--max", "5000").stderr).toContain("--max must be an integer 1..1000");
    expect(cli("bus", "publish", "orders", "not json").stderr).toContain("BODY is not JSON");
    expect(cli("bus", "pull", "Bad!").stderr.trim()).toBe("seed: 422 invalid_input: SUBSCRIPTION: subscription names are [a-z0-9][a-z0-9._-]{0,127}");
  }, 240_000);

  it("the owner's settings over the typed client: a refusal names the flag or argument at fault", () => {
    const add = cli("hooks", "add", "cli-shop", "--scheme", "github", "--json");
    expect(add.status, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: "cli-shop", scheme: "github", secret: expect.any(String) });
    expect(cli("hooks", "list").stdout).toMatch(/^cli-shop\s+github$/m);
    const refusals: [string[], string][] = [
      [["hooks", "add", "cli-shop2", "--scheme", "svn"], "--scheme: "],
      [["mind", "mode", "steer"], "MODE: "],
      [["expect", "backups", "--every", "1h", "--kind", "team"], "--kind: "],
      [["membrane", "grant", "--name", "acme", "--scopes", "status:read", "--ttl", "5s"], "--ttl: between 1 minute and 366 days"],
      [["work", "list", "--state", "lost"], "--state: "],
    ];
    for (const [args, message] of refusals) expect(cli(...args).stderr.trim()).toContain(`seed: 422 invalid_input: ${message}`);
  }, 240_000);

  it("bus dead lists a topic's dead letters with the reason; requeue publishes them again once", async () => {
    expect((await root("PUT", "/v1/bus/subscriptions/fragile", { topic: "jobs", maxDeliveries: 1, startAt: "latest" })).status).toBe(201);
    expect(cli("bus", "publish", "jobs", '"poison"').status).toBe(0);
    const first = cli("bus", "pull", "fragile", "--no-ack", "--json");
    const [m] = JSON.parse(first.stdout) as { ackId: string }[];
    // Refused once with maxDeliveries 1: the next pull moves it to jobs.dead.
    expect((await root("POST", "/v1/bus/subscriptions/fragile/nack", { ackIds: [m!.ackId] })).status).toBe(200);
    expect(cli("bus", "pull", "fragile").stdout.trim()).toBe("no messages on fragile");
    const dead = cli("bus", "dead", "jobs", "--json");
    expect(dead.status, dead.stderr).toBe(0);
    expect(JSON.parse(dead.stdout)).toEqual([expect.objectContaining({ subscription: "fragile", reason: "not acknowledged after 1 deliveries", body: "poison" })]);
    expect(cli("bus", "dead", "jobs").stdout).toContain("fragile: not acknowledged after 1 deliveries");
    expect(cli("bus", "requeue", "jobs").stdout.trim()).toBe("requeued 1 message to jobs");
    expect(cli("bus", "dead", "jobs").stdout.trim()).toBe("no dead letters on jobs");
    expect(JSON.parse(cli("bus", "pull", "fragile", "--json").stdout)).toEqual([expect.objectContaining({ body: "poison", deliveryAttempt: 1 })]);
  }, 240_000);

  it("bus tail prints new messages as they come and removes its subscription", async () => {
    const tail = spawnCli(["bus", "tail", "events", "--limit", "2", "--json", "--home", seed.home]);
    const out = watchOutput(tail);
    const subs = async () => ((await (await root("GET", "/v1/bus/subscriptions")).json()) as { subscriptions: { name: string; topic: string }[] }).subscriptions.filter((s) => s.topic === "events");
    while ((await subs()).length === 0) await new Promise((r) => setImmediate(r)); // polls a condition, not the clock
    expect(cli("bus", "publish", "events", '{"n": 1}').status).toBe(0);
    expect(cli("bus", "publish", "events", '{"n": 2}').status).toBe(0);
    const code = await new Promise<number | null>((resolve) => tail.once("exit", resolve));
    expect(code, out.output()).toBe(0);
    expect(out.output().trim().split("\n").map((l) => (JSON.parse(l) as { body: unknown }).body)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await subs()).toEqual([]);
  }, 240_000);

  it("memory add, recall and forget; work show prints a task and its history", async () => {
    const add = cli("memory", "add", "Invoices go out on the first of the month", "--tags", "billing,policy", "--shared", "--json");
    expect(add.status, add.stderr).toBe(0);
    const { id } = JSON.parse(add.stdout) as { id: string };
    const recall = JSON.parse(cli("memory", "recall", "when do invoices go out", "--k", "3", "--json").stdout) as { results: { id: string; foundBy: string[] }[] };
    expect(recall.results[0]).toMatchObject({ id });
    expect(cli("memory", "recall", "invoices", "--mode", "text").stdout).toMatch(new RegExp(`${id}  \\[text\\] #billing #policy  Invoices go out`));
    expect(cli("memory", "add", "x", "--tags", "!bad").stderr).toContain("--tags");
    expect(cli("memory", "forget", id).stdout.trim()).toBe(`forgot ${id}`);
    expect(cli("memory", "forget", id).stderr).toMatch(/^seed: 404 /);

    const task = (await (await root("POST", "/v1/work", { title: "Send the invoices", capability: "invoices" })).json()) as { id: string };
    const show = cli("work", "show", task.id);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain(`${task.id}  Send the invoices`);
    expect(show.stdout).toMatch(/history:\n  \S+  open/);
    expect((JSON.parse(cli("work", "show", task.id, "--json").stdout) as { history: unknown[] }).history.length).toBeGreaterThan(0);
    expect(cli("work", "show", "nope-nope").stderr).toMatch(/^seed: 404 task_not_found: /);
  }, 240_000);
  it("seed link puts seed on the PATH; the README's curl example works from another directory with it", () => {
    const bin = mkdtempSync(path.join(tmpdir(), "seed bin "));
    const away = mkdtempSync(path.join(tmpdir(), "elsewhere "));
    try {
      const link = runCli(["link", "--bin-dir", bin, "--json"]);
      expect(link.status, link.stderr).toBe(0);
      expect(JSON.parse(link.stdout)).toMatchObject({ link: path.join(bin, "seed"), onPath: false });
      const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, SEED_HOME: seed.home };
      const stats = spawnSync("seed", ["bus", "stats", "--json"], { cwd: away, env, encoding: "utf8" });
      expect(stats.status, stats.stderr).toBe(0);
      expect(Array.isArray(JSON.parse(stats.stdout))).toBe(true);
      // The README's line, as written (only the port differs).
      const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
      const line = /^printf 'Authorization: Bearer %s\\n' .*\/v1\/owner\/whoami$/m.exec(readme)![0].replace("http://127.0.0.1:8787", seed.url);
      const who = spawnSync("sh", ["-c", line], { cwd: away, env, encoding: "utf8" });
      expect(who.status, who.stderr).toBe(0);
      expect(JSON.parse(who.stdout)).toMatchObject({ kind: "root" });
      expect(runCli(["link", "--bin-dir", bin]).status).toBe(0); // again: already this link
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(away, { recursive: true, force: true });
    }
  }, 240_000);
});
