// The bus's door on a real `seed up` (issue 9): a revoke while WebSocket upgrades are in flight
// leaves no socket that can act, and a resting seed does nothing in any awkward bus state.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRawWebSocket, type RawSocket } from "../support/raw-websocket.ts";
import { startSeed, type SeedProcess } from "../support/seed-process.ts";

type Frame = { type: string; code?: string; ref?: string };

describe("the bus's door (system)", () => {
  let seed: SeedProcess;
  const api = async (method: string, p: string, body?: unknown, key = seed.rootKey()) => {
    const res = await fetch(`${seed.url}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: <T = Record<string, unknown>>() => JSON.parse(text) as T };
  };

  beforeAll(async () => {
    seed = await startSeed();
  }, 120_000);
  afterAll(async () => {
    await seed?.stop();
  });

  it("4 clients opening sockets continuously, 10 revokes: no frame acted on after a revoke returns, every socket told and closed", async () => {
    const topic = "door.load";
    const reader = (await api("POST", "/v1/owner/agents", { name: "door-reader", capabilities: [] })).json<{ id: string; token: string }>();
    expect((await api("PUT", "/v1/bus/subscriptions/door-reader", { topic, startAt: "earliest" }, reader.token)).status).toBe(201);
    const { hostname, port } = new URL(seed.url);
    const revoked: string[] = [];
    const verdicts: string[] = [];
    for (let round = 0; round < 10; round++) {
      const h = (await api("POST", "/v1/owner/membrane", { name: `door hammer ${round}`, scopes: ["bus:publish:door.*", "bus:read:door.*"] })).json<{ id: string; token: string }>();
      const sockets: RawSocket[] = [];
      let revokeStarted = false;
      let opened!: () => void;
      const enoughOpen = new Promise<void>((r) => (opened = r));
      // Each client opens sockets one after another until its upgrade is refused.
      const client = async () => {
        for (;;) {
          const s = await openRawWebSocket(hostname, Number(port), "/v1/bus/connect", ["seed.bus.v1", `seed.key.${h.token}`]).catch(() => null);
          if (!s) break;
          sockets.push(s);
          if (sockets.length >= 8) opened();
        }
        if (!revokeStarted) throw new Error("an upgrade was refused before the revoke");
      };
      const clients = Array.from({ length: 4 }, client);
      await enoughOpen;
      revokeStarted = true;
      expect((await api("DELETE", `/v1/owner/membrane/${h.id}`)).status).toBe(200);
      revoked.push(h.id);
      await Promise.all(clients);
      // Every socket the key got: a publish sent after the revoke returned is never acted on, and
      // the server closes the socket (its close frame, not the TCP close workerd delays).
      await Promise.all(
        sockets.map(async (s) => {
          const published = new Promise<"published">((resolve) => {
            const look = () => s.texts.some((t) => (JSON.parse(t) as Frame).type === "published") && resolve("published");
            s.onText = look;
            look();
          });
          s.sendText(JSON.stringify({ type: "publish", ref: "after", topic, messages: [{ body: { round } }] }));
          const first = await Promise.race([published, s.closeFrame.then((c) => `closed ${c.code}`)]);
          const told = s.texts.some((t) => (JSON.parse(t) as Frame).code === "key_revoked");
          verdicts.push(first === "closed 4001" && told ? "told and closed" : `${first}${told ? "" : " untold"}`);
          s.destroy();
        }),
      );
    }
    expect(verdicts.filter((v) => v !== "told and closed")).toEqual([]);
    const pulled = await api("POST", "/v1/bus/subscriptions/door-reader/pull", { max: 1000 }, reader.token);
    expect(pulled.json<{ messages: { from: string }[] }>().messages.filter((m) => revoked.includes(m.from))).toEqual([]);
  }, 120_000);
});
