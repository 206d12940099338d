// Title templates of rules: `{{path.to.value}}` reads the event (type, source, id, data). A
// missing value renders as empty; objects render as JSON. Parsed once, when the rule is saved.

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

export class TemplateError extends Error {}

export function checkTemplate(template: string): void {
  const stripped = template.replace(PLACEHOLDER, "");
  if (stripped.includes("{{") || stripped.includes("}}")) throw new TemplateError("placeholders look like {{data.field}} (letters, digits, _ and dots)");
}

function lookup(root: unknown, path: string): unknown {
  let at: unknown = root;
  for (const key of path.split(".")) {
    if (at === null || typeof at !== "object") return undefined;
    at = Array.isArray(at) && /^\d+$/.test(key) ? at[Number(key)] : Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

export function renderTemplate(template: string, context: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    const v = lookup(context, path);
    if (v === undefined || v === null) return "";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  });
}
