// The supervisor with real child processes: a crash loop ends with a give-up after a bounded
// number of restarts (it used to restart forever), and readiness waits for the child's own word.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../scripts/cli/json-log.ts";
import { Supervised } from "../../scripts/cli/supervisor.ts";
import { tempDir } from "../support/seed-home.ts";

// Comes up once (prints READY and stays); every later start exits 3 at once, as a child whose
// port was taken would.
const FLAKY = `
const fs = require("node:fs");
const mark = process.argv[1];
if (fs.existsSync(mark)) { console.error("bind(): Address already in use"); process.exit(3); }
fs.writeFileSync(mark, "");
console.log("READY");
setInterval(() => {}, 1 << 30);
`;

describe("supervisor", () => {
  it("gives up after a bounded number of failed restarts in a row", async () => {
    const dir = tempDir();
    const records: LogRecord[] = [];
    let gaveUp: (reason: string) => void = () => {};
    const giveUp = new Promise<string>((r) => (gaveUp = r));
    const child = new Supervised({
      name: "flaky",
      command: process.execPath,
      args: ["-e", FLAKY, path.join(dir, "started once")],
      env: process.env,
      pidFile: path.join(dir, "flaky.pid"),
      readyLine: (l) => l === "READY",
      log: (r) => records.push(r),
      onGiveUp: gaveUp,
      maxFailures: 3,
      minBackoffMs: 5,
    });
    await child.start();
    expect(existsSync(path.join(dir, "flaky.pid"))).toBe(true);
    process.kill(child.pid!, "SIGKILL");
    expect(await giveUp).toMatch(/flaky keeps exiting \(last: code 3\); gave up after 3 restarts in a row/);
    const count = (e: string) => records.filter((r) => r.proc === "seed" && r.event === e).length;
    expect([count("exited"), count("gave_up"), count("restarted")]).toEqual([3, 1, 0]);
    // The readiness line is the child's protocol, not a log line; its stderr is, as JSON.
    expect(records.some((r) => r.msg === "READY")).toBe(false);
    expect(records.filter((r) => r.proc === "flaky" && r.msg === "bind(): Address already in use")).toHaveLength(3);
    await child.stop();
  });

  it("a child that exits before it is ready fails the start with its exit code", async () => {
    const dir = tempDir();
    const child = new Supervised({
      name: "broken",
      command: process.execPath,
      args: ["-e", "process.exit(7)"],
      env: process.env,
      pidFile: path.join(dir, "broken.pid"),
      readyLine: () => true,
      log: () => {},
      onGiveUp: () => {},
    });
    await expect(child.start()).rejects.toThrow("broken exited during start (code 7)");
  });
});
