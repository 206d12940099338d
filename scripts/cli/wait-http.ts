// Polls an HTTP endpoint until it answers 2xx: how the supervisor knows a child is serving.
import { setTimeout as delay } from "node:timers/promises";

export async function waitForHttp(url: string, opts: { timeoutMs: number; headers?: Record<string, string>; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    opts.signal?.throwIfAborted();
    try {
      const res = await fetch(url, { headers: opts.headers, signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.ok) return;
      last = `HTTP ${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(25);
  }
  throw new Error(`${url} not ready after ${opts.timeoutMs} ms: ${last}`);
}
