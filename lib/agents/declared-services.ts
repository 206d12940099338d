// The outbound services the owner declared (`seed services set NAME --url URL [--credential C]`),
// as the Worker learns them: the SEED_SERVICES text binding (JSON, no secrets — a credential is a
// name) beside one service binding per service. Nothing else leaves the seed.
import { z } from "zod";
import { SERVICE_NAME } from "./tool-grants.ts";

export type DeclaredService = { url: string; credential?: string };

const Services = z.record(z.string().regex(SERVICE_NAME), z.object({ url: z.url({ protocol: /^https?$/ }), credential: z.string().optional() }).loose());

/** Bindings that are the seed's own organs: never a target of http_request, whatever a grant says. */
const ORGANS = new Set(["LIBSQL", "BUS", "MIND", "AUDIT", "AGENT"]);

export function declaredServices(text: string | undefined): Record<string, DeclaredService> {
  if (!text) return {};
  try {
    const r = Services.safeParse(JSON.parse(text));
    return r.success ? Object.fromEntries(Object.entries(r.data).filter(([name]) => !ORGANS.has(name))) : {};
  } catch {
    return {};
  }
}

/** A service's URL joined with a path the agent gave (the service URL may carry a base path). */
export function serviceUrl(service: DeclaredService, path: string): string {
  const base = new URL(service.url);
  const basePath = base.pathname.replace(/\/+$/, "");
  return `${base.origin}${basePath}${path}`;
}

/** Whether a credential bound to `host` may travel to this service (its host, with or without port). */
export function credentialFits(service: DeclaredService, host: string): boolean {
  const u = new URL(service.url);
  return host === u.host || host === u.hostname;
}

/** The chat-completions URL of the LLM service: `<url>/chat/completions` when the URL has a path, else `/v1/chat/completions`. */
export function chatCompletionsUrl(service: DeclaredService): string {
  const u = new URL(service.url);
  const basePath = u.pathname.replace(/\/+$/, "");
  return `${u.origin}${basePath === "" ? "/v1" : basePath}/chat/completions`;
}
