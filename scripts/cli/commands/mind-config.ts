// `seed hooks`, `seed rules`, `seed mind`: what the owner configures in the mind.
import type { Command } from "commander";
import type { WebhookScheme } from "../../../lib/mind/wire.ts";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";

async function secretFrom(opts: { secretFromEnv?: string; secretStdin?: boolean }): Promise<string | undefined> {
  if (opts.secretFromEnv) {
    const v = process.env[opts.secretFromEnv];
    if (!v) throw new Error(`environment variable ${opts.secretFromEnv} is empty or unset`);
    return v;
  }
  if (!opts.secretStdin) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const s = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (!s) throw new Error("no secret on standard input");
  return s;
}

export function registerMindConfig(program: Command): Command {
  const hooks = program.command("hooks").description("webhook sources: POST /v1/hooks/<name>, signed with the source's own secret");
  apiOptions(hooks.command("add").description("register (or re-key) a source; without a secret one is generated and printed once").argument("<name>", "source name, lowercase"))
    .requiredOption("--scheme <scheme>", "standard-webhooks (webhook-id/-timestamp/-signature) or github (X-Hub-Signature-256)")
    .option("--secret-from-env <var>", "take the sender's secret from this environment variable (never an argument)")
    .option("--secret-stdin", "read the sender's secret from standard input")
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: ApiFlags & { scheme: string; secretFromEnv?: string; secretStdin?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const secret = await secretFrom(opts);
      const json = { scheme: opts.scheme as WebhookScheme, ...(secret ? { secret } : {}) };
      const r = await ok(seedClient(target(opts)).v1.owner.mind.hooks[":source"].$put({ param: { source: name }, json }), { "path.source": "NAME", "body.scheme": "--scheme", "body.secret": "the secret" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`webhook source ${r.name} (${r.scheme}) → POST /v1/hooks/${r.name}`);
      if (r.secret) log(`signing secret (shown once; give it to the sender):\n${r.secret}`);
    });
  apiOptions(hooks.command("list").description("list webhook sources (never their secrets)"))
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.hooks.$get());
      if (opts.json) return log(JSON.stringify(r.sources, null, 2));
      if (r.sources.length === 0) return log("no webhook sources");
      for (const s of r.sources) log(`${s.name.padEnd(24)} ${s.scheme}`);
    });
  apiOptions(hooks.command("remove").description("remove a webhook source; its deliveries are refused from now on").argument("<name>", "source name"))
    .action(async (name: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      await ok(seedClient(target(opts)).v1.owner.mind.hooks[":source"].$delete({ param: { source: name } }), { "path.source": "NAME" });
      log(`webhook source ${name} removed`);
    });

  const rules = program.command("rules").description("rules that turn webhook events into work");
  apiOptions(rules.command("add").description("when <source> sends <event>, create a task"))
    .requiredOption("--source <name>", "the webhook source")
    .requiredOption("--event <type>", "event type, exact or a glob like invoice.* or *")
    .requiredOption("--capability <cap>", "who can do the work")
    .requiredOption("--title <template>", "task title; {{data.field}}, {{type}}, {{source}} read the event")
    .option("--priority <n>", "0 (low) .. 9 (urgent)")
    .option("--deadline <duration>", "the task expires if not done within, e.g. 4h")
    .option("--json", "print the rule as JSON")
    .action(async (opts: ApiFlags & { source: string; event: string; capability: string; title: string; priority?: string; deadline?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const { parseDuration } = await import("../../../lib/mind/duration.ts");
      const deadlineInMs = opts.deadline === undefined ? undefined : parseDuration(opts.deadline);
      if (deadlineInMs === null) throw new Error("--deadline must be a duration like 90s, 2h, 7d");
      const json = {
        source: opts.source,
        event: opts.event,
        capability: opts.capability,
        title: opts.title,
        ...(opts.priority === undefined ? {} : { priority: Number(opts.priority) }),
        ...(deadlineInMs === undefined ? {} : { deadlineInMs }),
      };
      const blame = { "body.source": "--source", "body.event": "--event", "body.capability": "--capability", "body.title": "--title", "body.priority": "--priority", "body.deadlineInMs": "--deadline" };
      const r = await ok(seedClient(target(opts)).v1.owner.mind.rules.$post({ json }), blame);
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`rule ${r.id}: ${r.source} ${r.event} → ${r.capability} "${r.title}"`);
    });
  apiOptions(rules.command("list").description("list rules"))
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.rules.$get());
      if (opts.json) return log(JSON.stringify(r.rules, null, 2));
      if (r.rules.length === 0) return log("no rules");
      for (const x of r.rules) log(`${x.id}  ${x.source} ${x.event} → ${x.capability} "${x.title}"`);
    });
  apiOptions(rules.command("remove").description("remove a rule").argument("<id>", "rule id"))
    .action(async (id: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      await ok(seedClient(target(opts)).v1.owner.mind.rules[":id"].$delete({ param: { id } }), { "path.id": "ID" });
      log(`rule ${id} removed`);
    });

  const mind = program.command("mind").description("the mind's mode, planner and logs");
  apiOptions(mind.command("mode").description("observe (record, flag, alert) or govern (also act on flags)").argument("<mode>", "observe or govern"))
    .action(async (mode: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.mode.$post({ json: { mode: mode as "observe" | "govern" } }), { "body.mode": "MODE" });
      log(r.mode === r.previous ? `the mind was already in ${r.mode} mode` : `the mind is now in ${r.mode} mode (was ${r.previous})`);
    });
  apiOptions(mind.command("planner").description("configure the LLM planner (an OpenAI-compatible endpoint behind `seed services set LLM`)"))
    .option("--model <name>", "the model to ask")
    .option("--credential <name>", "credential holding its API key (`seed credentials set`)")
    .option("--path <path>", "chat-completions path", "/v1/chat/completions")
    .option("--off", "remove the planner: events no rule covers make no work")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { model?: string; credential?: string; path: string; off?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const planner = seedClient(target(opts)).v1.owner.mind.planner;
      if (opts.off) {
        await ok(planner.$delete());
        return log("planner removed");
      }
      if (!opts.model) {
        const r = await ok(planner.$get());
        if (opts.json) return log(JSON.stringify(r.planner, null, 2));
        return log(r.planner ? `planner: ${r.planner.model} at LLM${r.planner.path}${r.planner.credential ? ` with credential ${r.planner.credential}` : ""}` : "no planner");
      }
      const r = await ok(planner.$put({ json: { model: opts.model, credential: opts.credential ?? null, path: opts.path } }), { "body.model": "--model", "body.credential": "--credential", "body.path": "--path" });
      if (opts.json) return log(JSON.stringify(r.planner, null, 2));
      if (!r.planner) throw new Error("the seed answered without the planner");
      log(`planner: ${r.planner.model} at LLM${r.planner.path}${r.planner.credential ? ` with credential ${r.planner.credential}` : ""}`);
    });
  apiOptions(mind.command("events").description("webhook events the mind received"))
    .option("--state <state>", "pending, handled or quarantined")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { state?: string; limit: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const query = { limit: opts.limit, ...(opts.state ? { state: opts.state as "pending" | "handled" | "quarantined" } : {}) };
      const r = await ok(seedClient(target(opts)).v1.owner.mind.events.$get({ query }), { "query.limit": "--limit", "query.state": "--state" });
      if (opts.json) return log(JSON.stringify(r.events, null, 2));
      if (r.events.length === 0) return log("no events");
      for (const e of r.events) log(`${e.id}  ${e.state.padEnd(11)} ${e.source}/${e.type}  ${new Date(e.receivedAt).toISOString()}${e.error ? `  error: ${e.error}` : ""}`);
    });
  apiOptions(mind.command("cycles").description("the cycle log: when each cycle ran, why, what it did"))
    .option("--limit <n>", "at most this many", "20")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { limit: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.cycles.$get({ query: { limit: opts.limit } }), { "query.limit": "--limit" });
      if (opts.json) return log(JSON.stringify(r.cycles, null, 2));
      for (const c of r.cycles) {
        const did = Object.entries(c.did).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(", ") || "nothing";
        log(`#${c.id} ${new Date(c.startedAt).toISOString()} ${c.ok ? "ok " : "ERR"} [${c.trigger.join(" ")}] ${did}${c.error ? ` — ${c.error}` : ""}`);
      }
    });
  return mind;
}
