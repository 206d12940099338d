// Readiness is this seed's own: /readyz answers 200 AND /v1/identity names this seed's id. Another
// seed on the same port is an error at once, never "ready".
import { setTimeout as delay } from "node:timers/promises";
import { httpGet } from "./http-get.ts";

export async function waitForOwnSeed(url: string, seedId: string, signal: AbortSignal): Promise<void> {
  let last = "no answer";
  for (;;) {
    if (signal.aborted) throw new Error(`${url} not ready: ${last}`);
    try {
      const idRes = await httpGet(`${url}/v1/identity`, 2_000);
      const id = idRes.status >= 200 && idRes.status < 300 ? (JSON.parse(idRes.body) as { seedId?: string }).seedId : undefined;
      if (id !== undefined && id !== seedId) throw new OtherSeedError(`another seed (${id}) answers at ${url}, not ${seedId}`);
      const res = await httpGet(`${url}/readyz`, 2_000);
      if (id === seedId && res.status >= 200 && res.status < 300) return;
      last = `HTTP ${res.status} ${res.body.slice(0, 300)}`;
    } catch (err) {
      if (err instanceof OtherSeedError) throw err;
      last = (err as Error).message;
    }
    await delay(25);
  }
}

class OtherSeedError extends Error {}
