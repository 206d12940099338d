// The scopes a helper (membrane) key may hold. Each grants one of the organs' helper routes;
// none reaches an owner power (keys, credentials, egress, the mind's mode, handoff): those routes
// accept the root key only, whatever scope a helper holds. An organ that offers a new helper
// route adds its scope here.
const TOPIC_GLOB = "[a-z0-9*][a-z0-9._*-]{0,127}";

export const HELPER_SCOPES: { pattern: RegExp; example: string; grants: string }[] = [
  { pattern: /^status:read$/, example: "status:read", grants: "GET /v1/status" },
  { pattern: /^coherence:read$/, example: "coherence:read", grants: "the mind's coherence signal" },
  { pattern: /^work:read$/, example: "work:read", grants: "reading the work ledger" },
  { pattern: /^work:write$/, example: "work:write", grants: "creating and updating work" },
  { pattern: new RegExp(`^bus:publish:${TOPIC_GLOB}$`), example: "bus:publish:orders.*", grants: "publishing to matching topics" },
  { pattern: new RegExp(`^bus:read:${TOPIC_GLOB}$`), example: "bus:read:orders.*", grants: "subscribing to matching topics" },
  { pattern: /^memory:read$/, example: "memory:read", grants: "recall" },
  { pattern: /^audit:read$/, example: "audit:read", grants: "GET /v1/audit" },
  { pattern: /^metrics:read$/, example: "metrics:read", grants: "GET /metrics (Prometheus)" },
  { pattern: /^checkins:write:[a-z0-9*][a-z0-9._:*-]{0,63}$/, example: "checkins:write:backup-*", grants: "POST /v1/checkins/<matching name>" },
];

export function isHelperScope(scope: string): boolean {
  return HELPER_SCOPES.some((s) => s.pattern.test(scope));
}

const TTL = /^([1-9]\d{0,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MAX_TTL_MS = 366 * UNIT_MS.d;

/** `90m`, `12h`, `30d` → milliseconds; null when the text is not a TTL. */
export function parseTtl(text: string): number | null {
  const m = TTL.exec(text);
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
