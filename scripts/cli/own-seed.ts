// Readiness is this seed's own: /readyz answers 200 AND /v1/identity names this seed's id. Another
// seed on the same port is an error at once, never "ready".
import { setTimeout as delay } from "node:timers/promises";

export async function waitForOwnSeed(url: string, seedId: string, signal: AbortSignal): Promise<void> {
  let last = "no answer";
  for (;;) {
    if (signal.aborted) throw new Error(`${url} not ready: ${last}`);
    try {
      const idRes = await fetch(`${url}/v1/identity`, { signal: AbortSignal.timeout(2_000) });
      const id = idRes.ok ? ((await idRes.json()) as { seedId?: string }).seedId : undefined;
      if (id !== undefined && id !== seedId) throw new OtherSeedError(`another seed (${id}) answers at ${url}, not ${seedId}`);
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (id === seedId && res.ok) return;
      last = `HTTP ${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      if (err instanceof OtherSeedError) throw err;
      last = (err as Error).message;
    }
    await delay(25);
  }
}

class OtherSeedError extends Error {}
