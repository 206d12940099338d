// The scope matrix rows: key kind × scope × route → expected status. Used by
// test/workers/membrane-scope-matrix.test.ts (every row with every kind of key) and
// test/workers/membrane-secrets.test.ts (no secret in any answer).
// ORGANS ADD ROWS HERE: a route with `scope` is reachable by a helper holding it; `helper` is the
// status that helper gets. `null` scope means no helper may pass (403 for every helper).
import { unique } from "./worker-fetch.ts";

export type Row = {
  method: string;
  path: string | (() => string);
  body?: unknown;
  /** "public": no key needed. Otherwise the helper scope the route checks, or null. */
  scope: string | null | "public";
  root?: number; // undefined: not tried with the root key (e.g. it would hand the seed off)
  agent: number;
  helper?: number; // with `scope` held
};

export const HELPER_SCOPES = ["status:read", "coherence:read", "work:read", "work:write", "bus:publish:*", "bus:read:*", "memory:read", "audit:read", "checkins:write:*"];
const NONE = "zzzzzzzzzzzzzzzz";

export const ROWS: Row[] = [
  // public
  { method: "GET", path: "/healthz", scope: "public", root: 200, agent: 200, helper: 200 },
  { method: "GET", path: "/v1/identity", scope: "public", root: 200, agent: 200, helper: 200 },
  // membrane, identity, audit (issue 5)
  { method: "GET", path: "/v1/status", scope: "status:read", root: 200, agent: 403, helper: 200 },
  { method: "GET", path: "/v1/audit", scope: "audit:read", root: 200, agent: 403, helper: 200 },
  { method: "GET", path: "/v1/audit/checkpoints", scope: "audit:read", root: 200, agent: 403, helper: 200 },
  { method: "GET", path: "/v1/owner/whoami", scope: null, root: 200, agent: 403 },
  { method: "GET", path: "/v1/owner/keys", scope: null, root: 200, agent: 403 },
  { method: "DELETE", path: `/v1/owner/keys/${NONE}`, scope: null, root: 404, agent: 403 },
  { method: "GET", path: "/v1/owner/membrane", scope: null, root: 200, agent: 403 },
  { method: "POST", path: "/v1/owner/membrane", body: {}, scope: null, root: 422, agent: 403 },
  { method: "DELETE", path: `/v1/owner/membrane/${NONE}`, scope: null, root: 404, agent: 403 },
  { method: "GET", path: "/v1/owner/audit", scope: null, root: 200, agent: 403 },
  { method: "GET", path: "/v1/owner/audit/verify", scope: null, root: 200, agent: 403 },
  { method: "GET", path: "/v1/owner/handoff", scope: null, root: 200, agent: 403 },
  { method: "POST", path: "/v1/owner/handoff", scope: null, agent: 403 }, // root: tested by the lockout drill
  // agents (owner only)
  { method: "GET", path: "/v1/owner/agents", scope: null, root: 200, agent: 403 },
  { method: "POST", path: "/v1/owner/agents", body: {}, scope: null, root: 422, agent: 403 },
  // bus
  { method: "GET", path: "/v1/bus/whoami", scope: null, root: 403, agent: 200 },
  { method: "GET", path: "/v1/bus/subscriptions", scope: "bus:read:*", root: 200, agent: 200, helper: 200 },
  { method: "POST", path: () => `/v1/bus/topics/${unique("matrix")}/messages`, body: { body: { n: 1 } }, scope: "bus:publish:*", root: 201, agent: 201, helper: 201 },
  // mind and work
  { method: "GET", path: "/v1/mind", scope: "status:read", root: 200, agent: 200, helper: 200 },
  { method: "GET", path: "/v1/mind/coherence", scope: "coherence:read", root: 200, agent: 200, helper: 200 },
  { method: "GET", path: "/v1/work", scope: "work:read", root: 200, agent: 200, helper: 200 },
  { method: "POST", path: "/v1/work", body: {}, scope: "work:write", root: 422, agent: 422, helper: 422 },
  { method: "POST", path: "/v1/owner/mind/mode", body: { mode: "nope" }, scope: null, root: 422, agent: 403 },
  { method: "POST", path: "/v1/checkins/matrix-run", scope: "checkins:write:*", root: 200, agent: 200, helper: 200 },
  { method: "GET", path: "/v1/owner/mind/expectations", scope: null, root: 200, agent: 403 },
  { method: "PUT", path: "/v1/owner/mind/expectations/matrix-x", body: {}, scope: null, root: 422, agent: 403 },
  { method: "GET", path: "/v1/owner/mind/schedules", scope: null, root: 200, agent: 403 },
  { method: "PUT", path: "/v1/owner/mind/schedules/matrix-x", body: {}, scope: null, root: 422, agent: 403 },
  { method: "GET", path: "/v1/owner/mind/notify", scope: null, root: 200, agent: 403 },
  { method: "GET", path: "/v1/owner/mind/alerts", scope: null, root: 200, agent: 403 },
  // memory
  { method: "GET", path: "/v1/memory/status", scope: "memory:read", root: 200, agent: 403, helper: 200 },
];
