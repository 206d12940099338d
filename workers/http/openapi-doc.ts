// GET /v1/openapi.json: the OpenAPI 3.1 document of the seed's HTTP API, generated from the routes'
// own createRoute declarations (the zod schemas they validate with) and completed here with what
// the declarations say only through their middleware: who may call (x-seed-access, bearer
// security) and the error answers every route shares ({error: {code, message}}).
import type { OpenAPIHono } from "@hono/zod-openapi";
import { VERSION } from "../../lib/version.ts";
import type { AppEnv } from "../app-env.ts";
import type { AccessPolicy } from "../auth/access.ts";

type Operation = {
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: unknown }>;
  security?: Record<string, string[]>[];
  "x-seed-access"?: Access;
  [k: string]: unknown;
};
type Document = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown>; [k: string]: unknown };

/** Who may call a route, as the document tells it. */
export type Access =
  | { public: true }
  | { webhook: "signature" }
  | { keys: ("root" | "agent" | "helper")[]; helperScope?: string };

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
};
const ERRORS: Record<string, string> = {
  "400": "malformed Authorization header or body that is not JSON",
  "401": "missing, wrong, expired or revoked key",
  "403": "the key's kind or scopes do not allow this route",
  "404": "no such resource",
  "413": "request body too large",
  "415": "body is not JSON",
  "422": "invalid input: the message names path.*, query.* or body.*",
  "429": "too many failed authentications from this address or key id",
};

// The owner's router checks the root key once for all of /v1/owner (workers/owner/owner.ts).
const ROUTER_POLICIES: [string, Access][] = [
  ["/v1/owner/", { keys: ["root"] }],
  ["/v1/audit", { keys: ["root", "helper"], helperScope: "audit:read" }],
  ["/mcp", { keys: ["root", "agent", "helper"], helperScope: "mcp (each tool checks its own scope)" }],
  ["/v1/hooks/", { webhook: "signature" }],
];

function accessOf(path: string, policy: AccessPolicy | undefined): Access {
  if (policy) {
    const keys = [policy.owner && "root", policy.agent && "agent", policy.helper !== undefined && "helper"].filter((k): k is "root" | "agent" | "helper" => !!k);
    const helperScope = typeof policy.helper === "string" ? policy.helper : policy.helper ? (policy.helperDoc ?? "a scope derived from the request") : undefined;
    return helperScope ? { keys, helperScope } : { keys };
  }
  return ROUTER_POLICIES.find(([prefix]) => path.startsWith(prefix))?.[1] ?? { public: true };
}

function describeAccess(a: Access): string {
  if ("public" in a) return "Public: no key.";
  if ("webhook" in a) return "No key: the source's signature over the raw body.";
  const who = a.keys.map((k) => (k === "helper" ? `helper key with ${a.helperScope}` : `${k} key`));
  return `Keys: ${who.join(", ")}.`;
}

/** The document for `app`: its registered routes, with access and error answers filled in. */
export function openApiDocument(app: OpenAPIHono<AppEnv>): Document {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "seed",
      version: VERSION,
      description: "A seed's HTTP API. Keys are sent as `Authorization: Bearer seed_<kind>_…`; every answer that is not 2xx is `{error: {code, message}}`.",
    },
  }) as unknown as Document;
  doc.components = { ...doc.components, schemas: { ...((doc.components?.schemas as object) ?? {}), Error: ERROR_SCHEMA }, securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "seed_root_…, seed_agent_… or seed_helper_… key" } } };

  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const { route } = def;
    const op = doc.paths?.[route.path]?.[route.method];
    if (!op) continue;
    const access = accessOf(route.path, op["x-seed-policy"] as AccessPolicy | undefined);
    delete op["x-seed-policy"];
    op["x-seed-access"] = access;
    op.description = [op.description, describeAccess(access)].filter(Boolean).join("\n\n");
    const codes: string[] = [];
    if ("keys" in access) {
      op.security = [{ bearer: [] }];
      codes.push("400", "401", "403", "429");
    } else {
      op.security = [];
      if ("webhook" in access) op.responses["401"] ??= { description: "the source's signature headers are missing, stale or wrong" };
    }
    if (op.requestBody) codes.push("400", "413", "415", "422");
    if (op.parameters?.length) codes.push("422");
    if (op.parameters?.some((p) => p.in === "path")) codes.push("404");
    for (const code of codes) op.responses[code] ??= { description: ERRORS[code]! };
    for (const [code, res] of Object.entries(op.responses)) {
      if (Number(code) >= 400 && !res.content) res.content = { "application/json": { schema: ERROR_REF } };
    }
  }
  return doc;
}
