// Matching an event type against a rule's pattern: exact, or `*` standing for any run of characters.

export function eventTypeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes("*")) return pattern === type;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(type);
}
