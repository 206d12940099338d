// A helper request is answered once its audit row is committed in the AuditLedger object's own
// storage; the row reaches libSQL afterwards. Killed -9 in between, nothing is lost: with the
// libSQL server stopped (SIGSTOP), a reader makes the ledger start its copy (its request reaches
// the stopped server's socket, seen in /proc/net/tcp), workerd is killed, and every answered
// request's row is still seen by `seed audit verify` (which reads both stores) and, once the seed
// is back, by the API — in one unbroken chain.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { runCli } from "../support/cli.ts";
import { callSeed, startSeed, until, type SeedProcess } from "../support/seed-process.ts";

const REQUESTS = 20;

/** Bytes waiting, unread, in the sockets of local port `port` (the stopped libSQL server's side). */
function unreadBytes(port: number): number {
  let total = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (parseInt(f[1]!.split(":")[1]!, 16) === port && f[3] === "01") total += parseInt(f[4]!.split(":")[1]!, 16);
    }
  }
  return total;
}

describe("audit rows survive kill -9 between the object's commit and the copy to libSQL (system)", () => {
  let seed: SeedProcess;
  let stopped: number | null = null;
  beforeAll(async () => {
    seed = await startSeed();
  }, 120_000);
  afterAll(async () => {
    if (stopped !== null) process.kill(stopped, "SIGCONT");
    await seed?.stop();
  });

  const verify = () => JSON.parse(runCli(["audit", "verify", "--home", seed.home, "--json"]).stdout) as { ok: boolean; rows: number; pendingRows: number; head: { seq: number } };

  it("every answered helper request has its row after the crash", async () => {
    const grant = await callSeed<{ id: string; token: string }>(seed, "POST", "/v1/owner/membrane", { name: "crash", scopes: ["status:read"] });
    expect(grant.status).toBe(201);
    // One request first: the key is then known to the Worker without asking libSQL.
    expect((await callSeed(seed, "GET", "/healthz", undefined, grant.json.token)).status).toBe(200);
    const before = verify();
    expect(before).toMatchObject({ ok: true, pendingRows: 0 });

    stopped = seed.pidOf("libsql");
    process.kill(stopped, "SIGSTOP");
    const statuses = await Promise.all(Array.from({ length: REQUESTS }, () => callSeed(seed, "GET", "/healthz", undefined, grant.json.token).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);

    // A reader asks the ledger to copy: the copy's request reaches the stopped server, and waits.
    const dbPort = Number(new URL((JSON.parse(readFileSync(path.join(seed.home, "run", "state.json"), "utf8")) as { dbUrl: string }).dbUrl).port);
    const queued = unreadBytes(dbPort);
    const reader = fetch(`${seed.url}/v1/owner/audit?limit=1`, { headers: { Authorization: `Bearer ${seed.rootKey()}` } }).catch(() => null);
    await until("the ledger's copy to reach the libSQL server", async () => unreadBytes(dbPort) > queued);

    // Both die: the copy's request dies unread with the libSQL server.
    process.kill(seed.pidOf("workerd"), "SIGKILL");
    process.kill(stopped, "SIGKILL");
    stopped = null;
    await reader;
    await seed.waitFor(/workerd is back/);
    await seed.waitFor(/libsql is back/);

    // Nothing has woken the ledger since the restart: the rows are still only in its object.
    const during = verify();
    expect(during).toMatchObject({ ok: true, rows: before.rows + REQUESTS, pendingRows: REQUESTS });

    // A reader through the API makes the ledger copy first.
    const rows = await callSeed<{ rows: AuditRecord[] }>(seed, "GET", `/v1/owner/audit?keyId=${grant.json.id}&limit=1000`);
    expect(rows.status).toBe(200);
    expect(rows.json.rows.filter((r) => r.action === "request")).toHaveLength(REQUESTS + 1);
    const after = verify();
    expect(after).toMatchObject({ ok: true, rows: before.rows + REQUESTS, pendingRows: 0 });
  }, 180_000);
});
