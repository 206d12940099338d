// workerd never collects garbage once idle, so what V8's heap grew to under load is what the box
// keeps paying for (issue 11, "Fits the box"). The V8 flags the seed's config gives workerd keep
// the young generation small: the same garbage-heavy requests leave a real workerd with less
// than half the growth it has with V8's defaults, measured side by side in this run.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WORKERD_BIN } from "../../scripts/cli/workerd-bin.ts";
import { V8_FLAGS } from "../../scripts/workerd-config/workerd-config.ts";
import { freePort, tempDir } from "../support/seed-home.ts";

// Short-lived objects only, as a busy bus makes them: nothing survives the request.
const WORKER = `export default { fetch(request) {
  if (new URL(request.url).pathname === "/ready") return new Response("ready");
  const ring = new Array(4096);
  for (let i = 0; i < 3e6; i++) ring[i & 4095] = { i, s: "x" + i };
  return new Response("done");
} };`;

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

/** workerd's RSS growth (KiB) over three garbage-heavy requests, with these V8 flags. */
async function growth(flags: string[]): Promise<number> {
  const dir = tempDir("seed heap ");
  const port = await freePort();
  writeFileSync(path.join(dir, "garbage.js"), WORKER);
  writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  v8Flags = [${flags.map((f) => JSON.stringify(f)).join(", ")}],
  services = [(name = "main", worker = .w)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const w :Workerd.Worker = (modules = [(name = "garbage.js", esModule = embed "garbage.js")], compatibilityDate = "2025-01-01");
`,
  );
  const child = spawn(WORKERD_BIN, ["serve", path.join(dir, "config.capnp")], { stdio: "ignore" });
  try {
    const get = (route = "/") => fetch(`http://127.0.0.1:${port}${route}`).then((r) => r.text());
    for (;;) {
      try {
        await get("/ready");
        break;
      } catch {
        if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode})`);
        await new Promise((r) => setImmediate(r));
      }
    }
    const before = rssKiB(child.pid!);
    for (let i = 0; i < 3; i++) expect(await get()).toBe("done");
    return rssKiB(child.pid!) - before;
  } finally {
    child.kill("SIGKILL");
  }
}

describe("workerd's V8 heap (system)", () => {
  it("the seed's V8 flags keep garbage-heavy load from growing workerd as V8's defaults do", async () => {
    const defaults = await growth([]);
    const seeds = await growth(V8_FLAGS);
    expect(defaults).toBeGreaterThan(24 * 1024); // the load does grow a default workerd
    expect(seeds).toBeLessThan(defaults / 2);
  }, 60_000);
});
