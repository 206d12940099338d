// The console's pages and who may see them. The owner sees every page; a helper (membrane) key sees
// a page only when it holds the scope of the JSON routes the page is made from, and only to read.
import { scopeGrants } from "../../lib/scopes.ts";
import type { Caller } from "../auth/caller.ts";

export type PageName = "pulse" | "work" | "agents" | "bus" | "memory" | "membrane" | "audit" | "sovereignty";

export type PageInfo = {
  name: PageName;
  title: string;
  /** The helper scope that opens the page (what its JSON routes ask); null: the owner's only. */
  helperScope: string | null;
};

export const PAGES: PageInfo[] = [
  { name: "pulse", title: "Pulse", helperScope: "coherence:read" },
  { name: "work", title: "Work", helperScope: "work:read" },
  { name: "agents", title: "Agents", helperScope: null },
  { name: "bus", title: "Bus", helperScope: "bus:read:*" },
  { name: "memory", title: "Memory", helperScope: "memory:read" },
  { name: "membrane", title: "Membrane", helperScope: null },
  { name: "audit", title: "Audit", helperScope: "audit:read" },
  { name: "sovereignty", title: "Sovereignty", helperScope: null },
];

export const pageInfo = (name: PageName) => PAGES.find((p) => p.name === name)!;

export function maySee(caller: Caller, page: PageInfo): boolean {
  if (caller.kind === "root") return true;
  if (caller.kind !== "helper" || page.helperScope === null) return false;
  // The bus page lists subscriptions: any bus:read scope opens it (the route filters by topic).
  if (page.name === "bus") return caller.scopes.some((s) => s.startsWith("bus:read:"));
  return caller.scopes.some((s) => scopeGrants(s, page.helperScope!));
}

export const visiblePages = (caller: Caller) => PAGES.filter((p) => maySee(caller, p));
