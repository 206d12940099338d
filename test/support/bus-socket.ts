// For Worker tests of the bus's WebSocket: open a socket through the Worker (as workerd delivers
// the upgrade) and read its frames in order, waiting on frames or the close — never on time.
import { expect } from "vitest";
import type { ServerFrame } from "../../lib/bus/wire.ts";
import { call } from "./worker-fetch.ts";

export type BusSocket = Awaited<ReturnType<typeof socketOf>>;
type Closed = { code: number; reason: string };

/** Opens a bus WebSocket through the Worker; fails the test unless the upgrade succeeds. */
export async function connect(headers: Record<string, string>): Promise<BusSocket> {
  const res = await call("GET", "/v1/bus/connect", { headers: { Upgrade: "websocket", ...headers } });
  expect(res.status).toBe(101);
  return socketOf(res);
}

/** Wraps the client end of an upgraded response: frames in arrival order, and the close. */
export function socketOf(res: Response) {
  const ws = res.webSocket!;
  ws.accept();
  const frames: ServerFrame[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  let closed: Closed | null = null;
  const closeWaiters: ((c: Closed) => void)[] = [];
  ws.addEventListener("message", (e) => {
    const f = JSON.parse(e.data as string) as ServerFrame;
    const w = waiters.find((x) => x.pred(f));
    if (w) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    } else frames.push(f);
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
    for (const w of closeWaiters.splice(0)) w(closed);
  });
  const next = <T extends ServerFrame["type"]>(type: T, pred: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<ServerFrame, { type: T }>>((resolve) => {
      const match = (f: ServerFrame) => f.type === type && pred(f as Extract<ServerFrame, { type: T }>);
      const hit = frames.find(match);
      if (hit) {
        frames.splice(frames.indexOf(hit), 1);
        return resolve(hit as Extract<ServerFrame, { type: T }>);
      }
      waiters.push({ pred: match, resolve: (f) => resolve(f as Extract<ServerFrame, { type: T }>) });
    });
  return {
    res,
    ws,
    frames,
    send: (f: unknown) => {
      try {
        ws.send(typeof f === "string" ? f : JSON.stringify(f));
      } catch {
        // Already closed: the caller asserts on the close.
      }
    },
    next,
    /** The first frame of any of these types, or the close, whichever comes first. */
    replyOrClose: (types: ServerFrame["type"][]) =>
      new Promise<ServerFrame | { type: "closed"; code: number }>((resolve) => {
        if (closed) return resolve({ type: "closed", code: closed.code });
        const hit = frames.find((f) => types.includes(f.type));
        if (hit) {
          frames.splice(frames.indexOf(hit), 1);
          return resolve(hit);
        }
        waiters.push({ pred: (f) => types.includes(f.type), resolve });
        closeWaiters.push((c) => resolve({ type: "closed", code: c.code }));
      }),
    closed: () => new Promise<Closed>((resolve) => (closed ? resolve(closed) : closeWaiters.push(resolve))),
    isClosed: () => closed !== null,
  };
}
