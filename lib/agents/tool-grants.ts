// What an agent may use, as the owner wrote it: `memory`, `work`, `bus:<topic-glob>`,
// `service:<NAME>` (http_request to that declared service) and `mcp:<NAME>` (the tools of that
// declared MCP server). Parsed once here; the tool catalogue and the runner ask these questions.
import { scopeGrants } from "../scopes.ts";

const TOPIC_GLOB = /^[a-z0-9*][a-z0-9._*-]{0,127}$/;
/** The names `seed services set` accepts (scripts/cli/services.ts). */
export const SERVICE_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;

export type ToolGrant =
  | { kind: "memory" }
  | { kind: "work" }
  | { kind: "bus"; topics: string }
  | { kind: "service"; name: string }
  | { kind: "mcp"; name: string };

/** A grant's text → the grant, or a sentence saying what is wrong with it. */
export function parseGrant(text: string): ToolGrant | string {
  if (text === "memory" || text === "work") return { kind: text };
  const i = text.indexOf(":");
  const [kind, arg] = i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + 1)];
  if (kind === "bus") return TOPIC_GLOB.test(arg) ? { kind: "bus", topics: arg } : "bus:<topic-glob>, e.g. bus:orders.* (topics are [a-z0-9][a-z0-9._-]*, * matches within a name)";
  if (kind === "service" || kind === "mcp") {
    return SERVICE_NAME.test(arg) ? { kind, name: arg } : `${kind}:<NAME> names a service declared with \`seed services set NAME\` (upper case, e.g. ${kind}:GITHUB)`;
  }
  return "one of memory, work, bus:<topic-glob>, service:<NAME>, mcp:<NAME>";
}

export function parseGrants(texts: readonly string[]): ToolGrant[] {
  return texts.map((t) => {
    const g = parseGrant(t);
    if (typeof g === "string") throw new Error(`${t}: ${g}`);
    return g;
  });
}

export const hasGrant = (grants: readonly ToolGrant[], kind: "memory" | "work") => grants.some((g) => g.kind === kind);

/** Whether a `bus:` grant covers this topic (a `*` never crosses a `:`, as in helper scopes). */
export function topicGranted(grants: readonly ToolGrant[], topic: string): boolean {
  return grants.some((g) => g.kind === "bus" && scopeGrants(`bus:${g.topics}`, `bus:${topic}`));
}

export const serviceGranted = (grants: readonly ToolGrant[], name: string) => grants.some((g) => g.kind === "service" && g.name === name);
export const mcpGranted = (grants: readonly ToolGrant[], name: string) => grants.some((g) => g.kind === "mcp" && g.name === name);
export const grantedServices = (grants: readonly ToolGrant[], kind: "service" | "mcp") =>
  grants.filter((g): g is { kind: typeof kind; name: string } => g.kind === kind).map((g) => g.name);
