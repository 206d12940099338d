// Helpers for the mind's Worker tests: the one Mind object, its injected clock, its alarm, and
// signing webhooks the way senders do.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Mind } from "../../durable/mind/mind.ts";
import { signGithub } from "../../lib/mind/github-signature.ts";
import { importHmacKey, utf8 } from "../../lib/mind/hmac.ts";
import { signStandard, standardSecretBytes } from "../../lib/mind/standard-webhooks.ts";
import type { CoherenceReport, MindStatus } from "../../lib/mind/wire.ts";
import { asRoot, bindings, call } from "../support/worker-fetch.ts";

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** A fixed "now" far from the wall clock: alarms armed on it never fire by themselves. */
export const T0 = Date.UTC(2100, 0, 15, 12, 0, 0);

export const mindStub = () => bindings.MIND.get(bindings.MIND.idFromName("mind"));

export async function setClock(ms: number): Promise<void> {
  await runInDurableObject(mindStub(), (m: Mind) => {
    m.clock.now = () => ms;
  });
}

export const alarmAt = () => runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.getAlarm());

/** Runs the armed alarm (a cycle if something is due); false if no alarm was armed. */
export const fireAlarm = () => runDurableObjectAlarm(mindStub());

export async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export const status = async () => ok<MindStatus>(await asRoot("GET", "/v1/mind"));
export const coherence = async (window?: string) => ok<CoherenceReport>(await asRoot("GET", `/v1/mind/coherence${window ? `?window=${window}` : ""}`));

export async function standardHeaders(secret: string, id: string, timestampSec: number, body: string): Promise<Record<string, string>> {
  const key = await importHmacKey(standardSecretBytes(secret)!);
  return { "webhook-id": id, "webhook-timestamp": String(timestampSec), "webhook-signature": await signStandard(key, id, timestampSec, utf8(body)), "content-type": "application/json" };
}

export async function githubHeaders(secret: string, event: string, delivery: string, body: string): Promise<Record<string, string>> {
  const key = await importHmacKey(utf8(secret));
  return { "x-hub-signature-256": await signGithub(key, utf8(body)), "x-github-event": event, "x-github-delivery": delivery, "content-type": "application/json" };
}

export const postHook = (source: string, body: string, headers: Record<string, string>) => call("POST", `/v1/hooks/${source}`, { raw: body, headers });

/** Registers a Standard Webhooks source with a generated secret; returns the secret. */
export async function addStandardSource(name: string): Promise<string> {
  const r = await ok<{ secret: string }>(await asRoot("PUT", `/v1/owner/mind/hooks/${name}`, { scheme: "standard-webhooks" }), 201);
  return r.secret;
}

/** When a schedule row is due, or null: the schedule is the truth the alarm follows. */
export const scheduled = (key: string) =>
  runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM schedule WHERE key = ?", key).toArray()[0]?.due_at ?? null);

/** Runs alarms until nothing is due at the mind's current time; returns how many cycles ran. */
export async function settle(now: number, max = 50): Promise<number> {
  let cycles = 0;
  for (let i = 0; i < max; i++) {
    const at = await alarmAt();
    if (at === null || at > now) return cycles;
    const before = (await status()).cycles;
    await fireAlarm();
    cycles += (await status()).cycles - before;
  }
  throw new Error(`the mind was still due after ${max} alarms`);
}
