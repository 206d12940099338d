// A CPU profile of a running workerd through its V8 inspector (`workerd serve --inspector-addr`;
// `seed up` passes SEED_WORKERD_INSPECTOR through): the Chrome DevTools Protocol's Profiler domain
// over a WebSocket. Benchmarks wrap a phase in start()/stop() and print the top entries.
import { writeFileSync } from "node:fs";
import { topOfProfile, type ProfileEntry } from "./cpu-profile-top.ts";

type Target = { id: string; title: string; webSocketDebuggerUrl?: string };

export class WorkerdProfiler {
  #sockets: WebSocket[] = [];
  #next = 1;
  #pending = new Map<number, (result: unknown) => void>();

  private constructor() {}

  /** Attaches to every inspectable target (the Worker's isolate; workerd lists one per service). */
  static async attach(inspectorAddr: string): Promise<WorkerdProfiler> {
    const p = new WorkerdProfiler();
    const targets = (await (await fetch(`http://${inspectorAddr}/json/list`)).json()) as Target[];
    for (const t of targets) {
      const url = t.webSocketDebuggerUrl ?? `ws://${inspectorAddr}/${t.id}`;
      const ws = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`inspector ${url} refused`));
      });
      ws.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown };
        if (msg.id !== undefined) p.#pending.get(msg.id)?.(msg.result);
      };
      p.#sockets.push(ws);
    }
    return p;
  }

  #send(ws: WebSocket, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    for (const ws of this.#sockets) {
      await this.#send(ws, "Profiler.enable");
      await this.#send(ws, "Profiler.setSamplingInterval", { interval: 200 });
      await this.#send(ws, "Profiler.start");
    }
  }

  /** Stops profiling; writes `<file>` (the first target's profile) and answers its top entries. */
  async stop(file: string, count = 20): Promise<ProfileEntry[]> {
    const out: ProfileEntry[] = [];
    for (const [i, ws] of this.#sockets.entries()) {
      const { profile } = (await this.#send(ws, "Profiler.stop")) as { profile: unknown };
      const f = i === 0 ? file : `${file}.${i}`;
      writeFileSync(f, JSON.stringify(profile));
      out.push(...topOfProfile(f, count));
    }
    return out.sort((a, b) => b.selfMs - a.selfMs).slice(0, count);
  }

  /** The V8 heap of each isolate (Runtime.getHeapUsage): what of workerd's RSS is JavaScript. */
  async heapUsage(): Promise<{ usedMiB: number; totalMiB: number }> {
    let used = 0;
    let total = 0;
    for (const ws of this.#sockets) {
      const r = (await this.#send(ws, "Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
      used += r.usedSize;
      total += r.totalSize;
    }
    return { usedMiB: Math.round(used / 1048576), totalMiB: Math.round(total / 1048576) };
  }

  /** Asks V8 for a full garbage collection (HeapProfiler.collectGarbage). */
  async collectGarbage(): Promise<void> {
    for (const ws of this.#sockets) await this.#send(ws, "HeapProfiler.collectGarbage");
  }

  close(): void {
    for (const ws of this.#sockets) ws.close();
  }
}
