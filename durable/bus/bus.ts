import { DurableObject } from "cloudflare:workers";

export type Ping = { object: "bus" | "mind"; ok: true; at: number };

/** The seed's message bus. Messages, subscriptions and leases live in this object's SQLite. */
export class Bus extends DurableObject<Env> {
  ping(): Ping {
    return { object: "bus", ok: true, at: Date.now() };
  }

  /** Closes every WebSocket of an agent whose key was revoked. */
  disconnectAgent(agentId: string): number {
    const sockets = this.ctx.getWebSockets(`agent:${agentId}`);
    for (const ws of sockets) ws.close(4001, "key revoked");
    return sockets.length;
  }
}
