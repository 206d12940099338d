// Runs a real `seed up` (libSQL server + workerd, supervised) on a temp SEED_HOME whose path
// contains a space, with free loopback ports.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO, runCli } from "./cli.ts";
import { startScriptedModel } from "./scripted-model.ts";
import { freePort, tempDir } from "./seed-home.ts";

export type SeedProcess = {
  url: string;
  home: string;
  child: ChildProcess;
  rootKey: () => string;
  pidOf: (name: "seed" | "libsql" | "workerd") => number;
  output: () => string;
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
  stop: () => Promise<number | null>;
};

export async function startSeed(opts: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SeedProcess> {
  const home = opts.home ?? path.join(tempDir("seed system "), "seed home");
  const port = await freePort();
  const dbPort = await freePort();
  const child = spawn(process.execPath, [...process.execArgv, path.join(REPO, "scripts", "cli", "main.ts"), "up"], {
    env: { ...process.env, ...opts.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(dbPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { output, waitFor } = watchOutput(child);
  await waitFor(/is up at http:\/\/[\d.]+:\d+/);
  return {
    url: `http://127.0.0.1:${port}`,
    home,
    child,
    rootKey: () => readFileSync(path.join(home, "keys", "root.key"), "utf8").trim(),
    pidOf: (name) => Number(readFileSync(path.join(home, "run", `${name}.pid`), "utf8")),
    output,
    waitFor,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Registers an agent through the owner API of a running seed. */
export async function addAgent(seed: SeedProcess, name: string, capabilities: string[] = []): Promise<{ id: string; token: string }> {
  const res = await fetch(`${seed.url}/v1/owner/agents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${seed.rootKey()}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name, capabilities }),
  });
  if (res.status !== 201) throw new Error(`agent registration failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; token: string };
}

/** Collects a `seed up` child's output; `waitFor` resolves when the output matches. */
export function watchOutput(child: ChildProcess): { output: () => string; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  let out = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  child.once("exit", (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`seed up exited (${code}) before ${w.re}:\n${out}`));
  });
  return {
    output: () => out,
    waitFor: (re: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        if (child.exitCode !== null) return reject(new Error(`seed up exited (${child.exitCode}) before ${re}:\n${out}`));
        waiters.push({ re, resolve, reject });
      }),
  };
}

/**
 * A request to a running seed, with the root key unless another is given; the answer's status and
 * JSON (null for an empty body). One turn of the event loop first: a test that ran the CLI
 * (spawnSync blocks this loop) lets fetch see that workerd closed an idle connection meanwhile,
 * instead of reusing it ("other side closed").
 */
export async function callSeed<T>(seed: SeedProcess, method: string, p: string, body?: unknown, key = seed.rootKey()): Promise<{ status: number; json: T }> {
  await new Promise((r) => setImmediate(r));
  const res = await fetch(`${seed.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

/**
 * Polls until `check` returns a value (an event happened) or the bound passes. `retryErrors`: a
 * check that throws (a process restarting) is tried again instead of failing the test.
 */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, opts: { boundMs?: number; retryErrors?: boolean } = {}): Promise<T> {
  const end = Date.now() + (opts.boundMs ?? 30_000);
  for (;;) {
    const v = await (opts.retryErrors ? check().catch(() => null) : check());
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A seed whose owner declared a scripted model (test/support/scripted-model.ts) as its LLM
 * service: `seed init`, `seed services set LLM --url …`, then `seed up`, in a fresh home.
 */
export async function startSeedWithModel(label: string): Promise<{ seed: SeedProcess; model: Awaited<ReturnType<typeof startScriptedModel>> }> {
  const model = await startScriptedModel();
  const home = path.join(tempDir(`${label} `), "seed home");
  for (const args of [["init"], ["services", "set", "LLM", "--url", model.url]]) {
    const r = runCli(args, { SEED_HOME: home });
    if (r.status !== 0) throw new Error(`seed ${args.join(" ")} failed: ${r.stderr}`);
  }
  return { seed: await startSeed({ home }), model };
}
