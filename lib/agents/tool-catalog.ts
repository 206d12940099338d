// The stable tools of the seed's own agents: names and JSON-schema parameters never change
// meaning. Which of them an agent is offered depends on its grants (tool-grants.ts); what the
// model sends is checked with the same zod schemas before anything runs.
import { z } from "zod";
import type { ToolSpec } from "./chat-completions.ts";
import { grantedServices, hasGrant, type ToolGrant } from "./tool-grants.ts";

const json = z.json();
const tag = z.string().min(1).max(64);

export const ToolArgs = {
  memory_recall: z.object({ query: z.string().min(1).max(8192), k: z.number().int().min(1).max(20).default(5), tags: z.array(tag).max(32).optional() }).strict(),
  memory_remember: z
    .object({ text: z.string().min(1).max(65536), tags: z.array(tag).max(32).default([]), kind: z.enum(["episodic", "semantic", "procedural"]).default("semantic"), shared: z.boolean().default(false) })
    .strict(),
  bus_publish: z.object({ topic: z.string().min(1).max(128), body: json, key: z.string().min(1).max(200).optional() }).strict(),
  work_progress: z.object({ note: z.string().max(2000).optional() }).strict(),
  work_fail: z.object({ reason: z.string().min(1).max(2000), retryable: z.boolean().default(false) }).strict(),
  http_request: z
    .object({
      service: z.string().min(1).max(32),
      method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
      path: z.string().regex(/^\/[^\s#]*$/, "a path starting with /, without spaces or #").max(4096),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(4096)).optional(),
      body: z.union([z.string().max(1_048_576), json]).optional(),
    })
    .strict(),
} as const;

export type StableTool = keyof typeof ToolArgs;
export const STABLE_TOOLS = Object.keys(ToolArgs) as StableTool[];
export const isStableTool = (name: string): name is StableTool => (STABLE_TOOLS as string[]).includes(name);

const DESCRIPTIONS: Record<StableTool, string> = {
  memory_recall: "Recall memories (yours and the shared ones) relevant to a query, best first.",
  memory_remember: "Remember a piece of text for later (tags help recall; shared makes it visible to every agent).",
  bus_publish: "Publish a message to a topic of the seed's bus. Only the topics you were granted.",
  work_progress: "Report progress on your current task (a short note for the owner's view).",
  work_fail: "Give up on your current task with a reason. Use it when the task cannot be done.",
  http_request: "Call one of the services you were granted, by name and path. The seed adds the credentials; never put secrets in the request.",
};

/** Which stable tool a grant unlocks. */
const NEEDS: Record<StableTool, (g: readonly ToolGrant[]) => boolean> = {
  memory_recall: (g) => hasGrant(g, "memory"),
  memory_remember: (g) => hasGrant(g, "memory"),
  bus_publish: (g) => g.some((x) => x.kind === "bus"),
  work_progress: (g) => hasGrant(g, "work"),
  work_fail: (g) => hasGrant(g, "work"),
  http_request: (g) => grantedServices(g, "service").length > 0,
};

export const stableToolGranted = (grants: readonly ToolGrant[], name: StableTool) => NEEDS[name](grants);

const BASE_SCHEMAS = new Map<StableTool, Record<string, unknown>>();

type Schema = Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };

/**
 * A tool's parameters as JSON schema, converted once per isolate (zod's conversion costs ~0.5 ms a
 * step otherwise) and frozen: every step shares it, and a grant's detail is added on a copy.
 */
function baseSchema(name: StableTool): Schema {
  let s = BASE_SCHEMAS.get(name) as Schema | undefined;
  if (!s) {
    s = z.toJSONSchema(ToolArgs[name], { io: "input", unrepresentable: "any" }) as Schema;
    delete s.$schema;
    BASE_SCHEMAS.set(name, deepFreeze(s));
  }
  return s;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The base schema with one property replaced (the rest shared). */
const withProperty = (base: Schema, key: string, value: Record<string, unknown>): Schema => ({ ...base, properties: { ...base.properties, [key]: value } });

/** The stable tools an agent with these grants is offered, as chat-completions tool specs. */
export function stableToolSpecs(grants: readonly ToolGrant[]): ToolSpec[] {
  return STABLE_TOOLS.filter((t) => NEEDS[t](grants)).map((name) => {
    let parameters = baseSchema(name);
    if (name === "http_request") parameters = withProperty(parameters, "service", { type: "string", enum: grantedServices(grants, "service") });
    if (name === "bus_publish") {
      const topics = grants.filter((g) => g.kind === "bus").map((g) => (g as { topics: string }).topics);
      parameters = withProperty(parameters, "topic", { ...parameters.properties.topic, description: `one of: ${topics.join(", ")} (* matches within a name)` });
    }
    return { type: "function" as const, function: { name, description: DESCRIPTIONS[name], parameters } };
  });
}

/** An MCP server's tool as the model sees it: `mcp_<server>_<tool>`, lower case, ≤ 64 characters. */
export function mcpToolName(server: string, tool: string): string {
  const name = `mcp_${server}_${tool}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (name.length <= 64) return name;
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return `${name.slice(0, 55)}_${(h >>> 0).toString(36).padStart(8, "0").slice(-8)}`;
}
