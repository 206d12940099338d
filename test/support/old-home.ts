// A fixture: a SEED_HOME made by an OLDER version of the seed — the code of an earlier commit,
// run for real (`seed up`), with data in it — for `seed upgrade` to upgrade. Needs the git
// history of the checkout (a fresh clone has it).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { REPO } from "./cli.ts";
import { freePort } from "./seed-home.ts";

/** 537a6c9: the first seed with every organ; its Durable Objects' schemas predate versioned migrations. */
export const OLD_COMMIT = "537a6c9";

/** What the old seed remembered, for the upgrade to keep. */
export const OLD_MEMORIES = ["The invoices for ACME were sent on Monday", "Deploy of the payments service failed with error 502", "Quarterly budget review moved to Thursday"];

export type OldHome = { home: string; agentToken: string; messages: number; rootKey: string };

export async function buildOldHome(dir: string, commit = OLD_COMMIT): Promise<OldHome> {
  const checkout = path.join(dir, `seed at ${commit}`);
  mkdirSync(checkout, { recursive: true });
  try {
    const tar = execFileSync("git", ["-C", REPO, "archive", "--format=tar", commit], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", checkout], { input: tar });
  } catch (err) {
    throw new Error(`the upgrade fixture needs commit ${commit} in the git history of ${REPO}: ${(err as Error).message}`);
  }
  symlinkSync(path.join(REPO, "node_modules"), path.join(checkout, "node_modules"));
  const home = path.join(dir, "old home");
  const port = await freePort();
  const child = spawn(process.execPath, [...process.execArgv, path.join(checkout, "scripts", "cli", "main.ts"), "up"], {
    env: { ...process.env, SEED_HOME: home, SEED_PORT: String(port), SEED_DB_PORT: String(await freePort()) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d;
      if (/is up at http/.test(out)) resolve();
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code) => reject(new Error(`the old seed exited (${code}):\n${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const rootKey = readFileSync(path.join(home, "keys", "root.key"), "utf8").trim();
  const post = async (key: string, p: string, body: unknown) => {
    const res = await fetch(`${url}${p}`, { method: p.includes("subscriptions/") && !p.endsWith("pull") ? "PUT" : "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const agent = (await post(rootKey, "/v1/owner/agents", { name: "old-agent", capabilities: [] })) as { token: string };
  await post(agent.token, "/v1/bus/subscriptions/old-sub", { topic: "legacy", startAt: "earliest" });
  const messages = 3;
  for (let i = 0; i < messages; i++) await post(agent.token, "/v1/bus/topics/legacy/messages", { body: { i } });
  // Memories in the old vector index (its options before issue 15's tuning).
  await post(agent.token, "/v1/memory", { memories: OLD_MEMORIES.map((text) => ({ text })) });
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
  return { home, agentToken: agent.token, messages, rootKey };
}
