// Emptying the alert outbox: each message to the `seed.alerts` topic (idempotency key = its id,
// so a resend after a crash is delivered once) and, when the owner configured one, to the
// notification webhook — Standard Webhooks signed, through the declared egress service only (the
// Worker can reach nothing else). A failed delivery is retried with back-off (1 min doubling to
// 1 h, 20 attempts); the retry is a schedule row, never a poll.
import { decryptSecret, encryptSecret, resealSecret } from "../../lib/credentials.ts";
import { importHmacKey, utf8 } from "../../lib/mind/hmac.ts";
import { newStandardSecret, signStandard, standardSecretBytes } from "../../lib/mind/standard-webhooks.ts";
import { ALERT_RETRY } from "./alerts.ts";
import type { MindIo } from "./mind-io.ts";
import { MindFailure } from "./result.ts";
import type { Schedule } from "./schedule.ts";
import type { Settings } from "./settings.ts";

const BATCH = 100;
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
export const MAX_DELIVERY_ATTEMPTS = 20;
const HOOK_TIMEOUT_MS = 10_000;

// The webhook secret is sealed under master.key like a credential, bound to this purpose.
const AAD = ["mind-notify", "seed-notify-webhook"] as const;

export type NotifyConfig = { service: string; url: string; secret: string; createdAt: number };

export async function sealNotifySecret(master: Uint8Array, secret: string | undefined): Promise<{ ciphertext: string; generated: string | null }> {
  const plain = secret ?? newStandardSecret();
  if (standardSecretBytes(plain) === null) throw new MindFailure(422, "invalid_secret", "a Standard Webhooks secret is whsec_ followed by base64 of at least 24 bytes");
  return { ciphertext: await encryptSecret(master, AAD[0], AAD[1], plain), generated: secret === undefined ? plain : null };
}

/** The notification webhook's secret sealed under a new master key (`seed handoff --rotate-master-key`). */
export const resealNotifySecret = (old: Uint8Array, next: Uint8Array, ciphertext: string) => resealSecret(old, next, AAD[0], AAD[1], ciphertext);

type OutboxRow = { seq: number; id: string; body: string; bus_sent: number; hook_state: string; attempts: number };

export type DeliveryDeps = { sql: SqlStorage; io: MindIo; settings: Settings; schedule: Schedule; now: () => number; storage: DurableObjectStorage };

export async function deliverAlerts(d: DeliveryDeps): Promise<{ sent: number; failed: number; more: boolean }> {
  const now = d.now();
  const rows = d.sql
    .exec<OutboxRow>("SELECT seq, id, body, bus_sent, hook_state, attempts FROM alert_outbox WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?", now, BATCH + 1)
    .toArray();
  const more = rows.length > BATCH;
  if (more) rows.pop();
  let sent = 0;
  let failed = 0;
  if (rows.length > 0) {
    const errors = new Map<number, string>();
    const toBus = rows.filter((r) => r.bus_sent === 0);
    const busOk = new Set<number>();
    if (toBus.length > 0) {
      const r = await d.io.publishAlerts(toBus.map((x) => ({ body: JSON.parse(x.body) as Record<string, unknown>, key: x.id, headers: { "seed-alert-id": x.id } }))).catch((e: unknown) => ({ ok: false as const, error: { message: e instanceof Error ? e.name : "error" } }));
      if (r.ok) toBus.forEach((x) => busOk.add(x.seq));
      else toBus.forEach((x) => errors.set(x.seq, `bus: ${"error" in r ? r.error.message : "failed"}`));
    }
    const hookOk = new Set<number>();
    const toHook = rows.filter((r) => r.hook_state === "pending");
    if (toHook.length > 0) {
      const config = d.settings.get("notify");
      if (!config) toHook.forEach((x) => hookOk.add(x.seq)); // the owner removed the webhook meanwhile
      else {
        const fetcher = d.io.service(config.service);
        const key = await importHmacKey(standardSecretBytes(await decryptSecret(d.io.masterKey(), AAD[0], AAD[1], config.secret))!);
        // After one failure the rest wait for the retry: a hanging receiver costs one timeout per round, not one per message.
        let down: string | null = fetcher ? null : `the service ${config.service} is not declared (seed services set ${config.service} --url …, then restart)`;
        for (const x of toHook) {
          const err = down ?? (await postSigned(fetcher!, config.url, key, x, now));
          if (err === null) hookOk.add(x.seq);
          else {
            errors.set(x.seq, `webhook: ${err}`);
            down ??= `not tried: an earlier delivery failed (${err})`;
          }
        }
      }
    }
    d.storage.transactionSync(() => {
      for (const x of rows) {
        const bus = x.bus_sent === 1 || busOk.has(x.seq);
        const hook = x.hook_state !== "pending" || hookOk.has(x.seq) ? (x.hook_state === "pending" ? "sent" : x.hook_state) : "pending";
        if (bus && hook !== "pending") {
          d.sql.exec("DELETE FROM alert_outbox WHERE seq = ?", x.seq);
          sent++;
          continue;
        }
        const attempts = x.attempts + 1;
        failed++;
        if (attempts >= MAX_DELIVERY_ATTEMPTS) {
          // Given up: kept (with its error) for the owner to see in GET /v1/owner/mind/alerts.
          d.sql.exec("UPDATE alert_outbox SET bus_sent = ?, hook_state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?", bus ? 1 : 0, hook === "pending" ? "failed" : hook, attempts, Number.MAX_SAFE_INTEGER, errors.get(x.seq) ?? null, x.seq);
        } else {
          d.sql.exec(
            "UPDATE alert_outbox SET bus_sent = ?, hook_state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?",
            bus ? 1 : 0, hook, attempts, now + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1)), errors.get(x.seq) ?? null, x.seq,
          );
        }
      }
    });
  }
  const next = d.sql.exec<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM alert_outbox WHERE next_attempt_at < ?", Number.MAX_SAFE_INTEGER).one().t;
  if (next === null) d.schedule.remove(ALERT_RETRY);
  else d.schedule.set(ALERT_RETRY, next);
  return { sent, failed, more };
}

/** One signed POST; null when the receiver answered 2xx, else why not (never the secret). */
async function postSigned(fetcher: Fetcher, url: string, key: Awaited<ReturnType<typeof importHmacKey>>, x: OutboxRow, now: number): Promise<string | null> {
  const body = JSON.parse(x.body) as { type: string; at: number };
  const text = JSON.stringify({ type: body.type, timestamp: new Date(body.at).toISOString(), data: body });
  const ts = Math.floor(now / 1000);
  try {
    const res = await fetcher.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": x.id, "webhook-timestamp": String(ts), "webhook-signature": await signStandard(key, x.id, ts, utf8(text)), "user-agent": "seed-mind" },
      body: text,
      signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return err instanceof Error ? err.name : "error";
  }
}
