// `seed pulse`, `seed mind …`, `seed work …`, `seed hooks …`, `seed rules …`: the mind, over the
// running seed's HTTP API with the owner's root key.
import type { Command } from "commander";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";
import { registerMindConfig } from "./mind-config.ts";
import { registerMindWatch } from "./mind-watch.ts";
import { registerWork } from "./mind-work.ts";

export function registerMind(program: Command): void {
  apiOptions(program.command("pulse").description("the mind's coherence signal: whether it is on time, C, drift, backlog, regime, a sparkline of its history, and every stalled, failing or missed subsystem with its dates"))
    .option("--window <duration>", "the window outcomes are counted over (e.g. 1h, 24h, 7d)", "24h")
    .option("--json", "print {status, coherence} as JSON")
    .action(async (opts: ApiFlags & { window: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const { pulseLines } = await import("../mind-pulse.ts");
      const mind = seedClient(target(opts)).v1.mind;
      const status = await ok(mind.$get());
      const coherence = await ok(mind.coherence.$get({ query: { window: opts.window } }), { "query.window": "--window" });
      if (opts.json) return log(JSON.stringify({ status, coherence }, null, 2));
      for (const line of pulseLines(status, coherence)) log(line);
    });

  registerWork(program);
  const mind = registerMindConfig(program);
  registerMindWatch(program, mind);
}
