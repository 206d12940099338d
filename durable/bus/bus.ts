import { DurableObject } from "cloudflare:workers";

export type Ping = { object: "bus" | "mind"; ok: true; at: number };

/** The seed's message bus. Messages, subscriptions and leases live in this object's SQLite. */
export class Bus extends DurableObject<Env> {
  ping(): Ping {
    return { object: "bus", ok: true, at: Date.now() };
  }
}
