/** Scope match: `bus:publish:orders.*` grants `bus:publish:orders.new`; `*` never crosses a `:`. */
export function scopeGrants(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (!granted.includes("*")) return false;
  const re = new RegExp(`^${granted.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^:]*")}$`);
  return re.test(required);
}
