// The bus's lease arithmetic, pure so that it can be tested (and mutation-tested) alone: when a
// lease ends, how long a redelivery waits, how ack ids are made and read, when a message is dead,
// how much a socket may still take, and which times may wake the Bus.

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

/** Extra wait before a delivery already attempted `attempts` times may be retried: 0, 1 s, 2 s, 4 s … 60 s. */
export function redeliveryBackoff(attempts: number): number {
  return attempts <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempts - 2));
}

/** When delivery attempt `attempt`, handed out at `now`, becomes due again if it is not acked. */
export function leaseEnd(now: number, ackDeadlineMs: number, attempt: number): number {
  return now + ackDeadlineMs + redeliveryBackoff(attempt + 1);
}

/** When a nacked message becomes due again. */
export function nackDue(now: number, delayMs = 0): number {
  return now + Math.max(0, delayMs);
}

/** A message that has been delivered `attempts` times goes to the dead-letter topic instead of again. */
export function isExhausted(attempts: number, maxDeliveries: number): boolean {
  return attempts >= maxDeliveries;
}

const ACK_ID = /^([1-9]\d{0,14})\.([1-9]\d{0,5})\.([a-z0-9]{1,32})$/;

/** `<seq>.<attempt>.<nonce>`: the seq finds the lease; the whole id must match it. */
export function makeAckId(seq: number, attempt: number, nonce: string): string {
  return `${seq}.${attempt}.${nonce}`;
}

/** The seq an ack id points at, or null when the text is not an ack id. */
export function ackIdSeq(ackId: string): number | null {
  const m = ACK_ID.exec(ackId);
  return m ? Number(m[1]) : null;
}

/** How many more messages a socket may be sent on a subscription. */
export function pushCredit(window: number, inFlight: number): number {
  return Math.max(0, window - inFlight);
}

/**
 * Lease wakes are rounded up to this grain: leases handed out within one grain share one alarm
 * time, so a busy socket does not move the alarm on every commit round (each setAlarm was a
 * commit and an fsync of workerd's alarm database beside the Bus's own: ~1 per 5 rounds in the
 * bench). A redelivery waits at most this much longer than its lease.
 */
export const LEASE_WAKE_GRAIN_MS = 1_000;

/**
 * The next time lease expiries should wake the Bus: the earliest lease end strictly after `now`,
 * rounded up to the grain. Leases already past are not a reason to wake: the next pull, or the
 * socket's next credit, takes them; an alarm for them would find nothing to do and re-arm in the
 * past (issue 9 item 12).
 */
export function nextLeaseWake(leaseEnds: readonly (number | null)[], now: number): number | null {
  let next: number | null = null;
  for (const t of leaseEnds) if (t !== null && t > now && (next === null || t < next)) next = t;
  return next === null ? null : Math.ceil(next / LEASE_WAKE_GRAIN_MS) * LEASE_WAKE_GRAIN_MS;
}
