// A helper's answered requests whose audit rows are still only in the AuditLedger object when the
// seed stops (an ordinary `seed down` within the copy delay is enough), then an owner change made
// with the CLI (`seed services set`), which appends to libSQL's chain at the same seq: `seed audit
// verify` counts every row and says intact, and once the seed runs again the ledger chains its rows
// after the CLI's and libSQL holds them all (found by attack, session 6).
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { callSeed, startSeed } from "../support/seed-process.ts";

type Verify = { ok: boolean; rows: number; pendingRows: number; problems: unknown[] };
const verify = (home: string) => JSON.parse(runCli(["audit", "verify", "--home", home, "--json"]).stdout) as Verify;

describe("audit rows not yet copied, then a CLI owner change (system)", () => {
  it("a helper request, `seed down` at once, `seed services set`: verify counts every row, intact; the next run copies them", async () => {
    let seed = await startSeed();
    const home = seed.home;
    try {
      const grant = await callSeed<{ token: string }>(seed, "POST", "/v1/owner/membrane", { name: "stop", scopes: ["status:read"] });
      expect(grant.status).toBe(201);
      expect((await callSeed(seed, "GET", "/v1/owner/audit?limit=1")).status).toBe(200); // flushed
      const before = verify(home);
      expect(before).toMatchObject({ ok: true, pendingRows: 0 });
      for (let i = 0; i < 3; i++) expect((await callSeed(seed, "GET", "/healthz", undefined, grant.json.token)).status).toBe(200);
      await seed.stop();
      expect(verify(home)).toMatchObject({ ok: true, rows: before.rows + 3 });
      const set = runCli(["services", "set", "LLM", "--url", "http://127.0.0.1:9", "--home", home]);
      expect(set.status, set.stderr).toBe(0);
      const after = verify(home);
      expect(after.problems).toEqual([]);
      expect(after).toMatchObject({ ok: true, rows: before.rows + 4 });

      seed = await startSeed({ home });
      const rows = await callSeed<{ rows: { seq: number; action: string }[] }>(seed, "GET", "/v1/owner/audit?limit=1000");
      expect(rows.status).toBe(200);
      await seed.stop();
      expect(verify(home)).toMatchObject({ ok: true, rows: before.rows + 4, pendingRows: 0 }); // the read flushed them
    } finally {
      await seed.stop();
    }
  }, 240_000);
});
