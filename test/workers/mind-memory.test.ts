// The mind records each cycle's decisions and outcomes as episodic memory (issue 6).
import { describe, expect, it } from "vitest";
import { describeCycle, worthRemembering } from "../../durable/mind/memory-hook.ts";
import { asRoot, bindings, call, newAgent, unique } from "../support/worker-fetch.ts";
import { fireAlarm, ok, setClock, T0 } from "./mind-support.ts";

type Recall = { results: { text: string; kind: string; source: string; tags: string[]; expiresAt: number | null }[] };

describe("the mind's episodic memory", () => {
  it("a cycle that dispatched work is remembered; the owner recalls it", async () => {
    const capability = unique("memo").replace(/-/g, "");
    await newAgent("rememberer", [capability]);
    // The libSQL database is shared by every Worker test file: this cycle's memories are the ones
    // that name its own start time (an instant no other test uses).
    const at = T0 + 40 * 86_400_000 + 4_321;
    await setClock(at);
    expect((await call("POST", "/v1/work", { key: bindings.TEST_ROOT_KEY, body: { title: "remember me", capability } })).status).toBe(201);
    expect(await fireAlarm()).toBe(true);
    const r = await ok<Recall>(await asRoot("POST", "/v1/memory/recall", { query: `Mind cycle dispatched ${new Date(at).toISOString()}`, mode: "text", tags: ["mind"], kind: "episodic", k: 50 }));
    const mine = r.results.filter((m) => m.source === "mind" && m.text.includes(new Date(at).toISOString()));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]!.tags).toEqual(expect.arrayContaining(["mind", "cycle"]));
    expect(mine.some((m) => /Mind cycle \d+/.test(m.text))).toBe(true);
    // The mind's own memories expire: 30 days after the cycle (issue 10).
    expect(mine.map((m) => m.expiresAt)).toEqual(mine.map(() => at + 30 * 86_400_000));
  });

  it("idle cycles are not remembered, busy ones are described plainly", () => {
    expect(worthRemembering({ cycle: 1, startedAt: 0, endedAt: 1, did: { dispatched: 0, evaluated: 3 }, flagged: ["capability:invoices (stalled)"], regime: "flow" })).toBe(false);
    const busy = { cycle: 7, startedAt: Date.UTC(2030, 0, 1), endedAt: 1, did: { dispatched: 2, expired: 0, evaluated: 4 }, flagged: ["capability:invoices (stalled)"], regime: "stall" };
    expect(worthRemembering(busy)).toBe(true);
    expect(describeCycle(busy)).toBe("Mind cycle 7 (2030-01-01T00:00:00.000Z): dispatched 2. Regime stall. Flagged: capability:invoices (stalled).");
  });
});
