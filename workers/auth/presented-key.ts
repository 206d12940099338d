// The one place that reads the key a request presents: the Authorization header, or — on a
// WebSocket upgrade only, because browsers cannot set headers there — the subprotocol
// `seed.key.<key>` offered beside the real protocol (e.g. `seed.bus.v1`). Never the URL.
import type { Context } from "hono";

const KEY_PROTOCOL = "seed.key.";
const CLAIMED = /^Bearer seed_(root|agent|helper)_([a-z0-9]{16})_/;

export type PresentedKey = {
  /** The credential as an Authorization header value (`Bearer …`), or undefined if none was presented. */
  authorization: string | undefined;
  /** The key id and kind the token claims, unverified: for rate limiting and summaries only. */
  claimed: { kind: "root" | "agent" | "helper"; id: string } | null;
};

export function offeredProtocols(c: Context): string[] {
  return (c.req.header("Sec-WebSocket-Protocol") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function presentedKey(c: Context): PresentedKey {
  let authorization = c.req.header("Authorization");
  if (authorization === undefined && c.req.header("Upgrade")?.toLowerCase() === "websocket") {
    const p = offeredProtocols(c).find((x) => x.startsWith(KEY_PROTOCOL));
    if (p) authorization = `Bearer ${p.slice(KEY_PROTOCOL.length)}`;
  }
  return presentedAs(authorization);
}

/** A key presented some other way — the console's sign-in form — as if in the Authorization header. */
export function presentedAs(authorization: string | undefined): PresentedKey {
  const m = authorization ? CLAIMED.exec(authorization) : null;
  return { authorization, claimed: m ? { kind: m[1] as "root" | "agent" | "helper", id: m[2]! } : null };
}
