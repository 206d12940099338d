// lib/group-commit.ts: writes that arrive while a round commits share the next round; each write
// gets its own outcome; a failing round rejects its writes and leaves nobody waiting.
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../lib/group-commit.ts";

describe("group commit", () => {
  it("writes submitted in one turn share a round; writes that arrive during a round share the next", async () => {
    const rounds: number[][] = [];
    let release!: () => void;
    let gate: Promise<void> = Promise.resolve();
    const gc = new GroupCommit<number, number>(
      async (batch) => {
        rounds.push(batch);
        return batch.map((n) => ({ ok: true as const, value: n * 10 }));
      },
      { afterRound: () => gate },
    );
    gate = new Promise((r) => (release = r));
    const first = [gc.submit(1), gc.submit(2), gc.submit(3)];
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    // Round 1 is waiting for its fsync: these gather.
    const second = [gc.submit(4), gc.submit(5)];
    release();
    expect(await Promise.all(second)).toEqual([40, 50]);
    expect(rounds).toEqual([[1, 2, 3], [4, 5]]);
    expect(gc.rounds).toBe(2);
  });

  it("one failing write does not fail the others of its round", async () => {
    const gc = new GroupCommit<number, number>((batch) => batch.map((n) => (n === 2 ? { ok: false as const, error: new Error("two") } : { ok: true as const, value: n })));
    const results = await Promise.allSettled([gc.submit(1), gc.submit(2), gc.submit(3)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe("two");
  });

  it("a round that fails as a whole rejects each of its writes, and the next round still runs", async () => {
    let fail = true;
    const gc = new GroupCommit<number, number>((batch) => {
      if (fail) throw new Error("disk full");
      return batch.map((n) => ({ ok: true as const, value: n }));
    });
    const failed = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await gc.submit(3)).toBe(3);
    expect(gc.rounds).toBe(1);
  });

  it("a commit that answers for the wrong number of writes fails them instead of leaving one waiting", async () => {
    const gc = new GroupCommit<number, number>(() => [{ ok: true as const, value: 1 }]);
    const r = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    expect(r.map((x) => x.status)).toEqual(["rejected", "rejected"]);
  });

  it("when storage cannot confirm a round, the writes queued behind it are rejected, not left waiting", async () => {
    let fail!: (e: Error) => void;
    const gc = new GroupCommit<number, number>((batch) => batch.map((n) => ({ ok: true as const, value: n })), {
      afterRound: () => new Promise<void>((_, reject) => (fail = reject)),
    });
    expect(await gc.submit(1)).toBe(1);
    const queued = gc.submit(2);
    fail(new Error("sync failed"));
    await expect(queued).rejects.toThrow("sync failed");
  });
});
