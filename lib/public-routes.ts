// What a reverse proxy on a VPS lets in from the internet (`seed install --public-host`): webhooks
// and every route a helper (the provider) or an outside agent may use — the membrane. Everything
// else (/v1/owner/*, the console at /) stays for the owner on the box or through an SSH tunnel.
// An organ that adds a helper route adds its path here; test/workers/public-routes.test.ts checks
// this list against the scope matrix.

/** Exact paths, and prefixes ending in "/" (matched with anything after them). */
export const PUBLIC_ROUTES: string[] = [
  "/healthz",
  "/readyz",
  "/v1/identity",
  "/v1/openapi.json",
  "/v1/hooks/",
  "/v1/status",
  "/v1/mind",
  "/v1/mind/",
  "/v1/work",
  "/v1/work/",
  "/v1/checkins/",
  "/v1/bus/",
  "/v1/memory",
  "/v1/memory/",
  "/v1/audit",
  "/v1/audit/",
  "/mcp",
  "/metrics",
];

export function isPublicPath(path: string): boolean {
  return PUBLIC_ROUTES.some((r) => (r.endsWith("/") ? path.startsWith(r) && path.length > r.length : path === r));
}
