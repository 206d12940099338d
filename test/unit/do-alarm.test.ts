// lib/do-alarm.ts: the alarm points at the earliest due row and changes only when it must.
import { describe, expect, it } from "vitest";
import { alarmNeedsChange, AlarmPointer, type AlarmStorage } from "../../lib/do-alarm.ts";

function fakeStorage(initial: number | null = null) {
  const calls: string[] = [];
  let alarm = initial;
  const storage: AlarmStorage = {
    getAlarm: async () => {
      calls.push("get");
      return alarm;
    },
    setAlarm: async (t) => {
      calls.push(`set ${t}`);
      alarm = t;
    },
    deleteAlarm: async () => {
      calls.push("delete");
      alarm = null;
    },
  };
  return { storage, calls, alarm: () => alarm };
}

describe("alarm pointer", () => {
  it("sets, moves and deletes the alarm, reading it only once", async () => {
    const s = fakeStorage();
    const p = new AlarmPointer(s.storage);
    await p.arm(5000, 1000);
    await p.arm(5000, 1000); // unchanged: no call
    await p.arm(3000, 1000);
    await p.arm(null, 1000);
    await p.arm(null, 1000);
    expect(s.calls).toEqual(["get", "set 5000", "set 3000", "delete"]);
    expect(p.changes).toBe(3);
  });

  it("leaves an alarm that is already due alone when the next row is due too", async () => {
    const s = fakeStorage(900);
    const p = new AlarmPointer(s.storage);
    await p.arm(950, 1000);
    expect(s.alarm()).toBe(900);
    await p.arm(1500, 1000); // not due yet: the alarm moves to it
    expect(s.alarm()).toBe(1500);
  });

  it("after the alarm fired, the next row is armed again even at the same time", async () => {
    const s = fakeStorage();
    const p = new AlarmPointer(s.storage);
    await p.arm(2000, 1000);
    p.fired();
    await p.arm(2000, 1000);
    expect(s.calls).toEqual(["get", "set 2000", "set 2000"]);
  });

  it("calls apply in order: the last one wins", async () => {
    const s = fakeStorage();
    const p = new AlarmPointer(s.storage);
    void p.arm(4000, 1000);
    void p.arm(null, 1000);
    await p.arm(7000, 1000);
    expect(s.alarm()).toBe(7000);
  });

  it("alarmNeedsChange", () => {
    expect(alarmNeedsChange(null, null, 0)).toBe(false);
    expect(alarmNeedsChange(5, 5, 0)).toBe(false);
    expect(alarmNeedsChange(null, 5, 0)).toBe(true);
    expect(alarmNeedsChange(5, null, 0)).toBe(true);
    expect(alarmNeedsChange(5, 6, 0)).toBe(true);
    expect(alarmNeedsChange(5, 6, 6)).toBe(false);
    expect(alarmNeedsChange(5, 6, 5)).toBe(true);
    expect(alarmNeedsChange(7, 6, 6)).toBe(true);
  });
});
