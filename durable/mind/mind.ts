import { DurableObject } from "cloudflare:workers";
import type { Ping } from "../bus/bus.ts";

/** The seed's always-on loop, driven by its alarm. The work ledger lives in this object's SQLite. */
export class Mind extends DurableObject<Env> {
  ping(): Ping {
    return { object: "mind", ok: true, at: Date.now() };
  }
}
