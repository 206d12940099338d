// `seed expect`, `seed schedule`, `seed mind notify`, `seed mind alerts`: what the owner tells the
// mind to expect, the work it makes on a schedule, and who it tells.
import type { Command } from "commander";
import type { SubsystemKind } from "../../../lib/mind/wire.ts";
import { apiOptions, jsonFlag, log, target, type ApiFlags } from "../cli-common.ts";

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

async function duration(text: string | undefined, flag: string): Promise<number | undefined> {
  if (text === undefined) return undefined;
  const { parseDuration } = await import("../../../lib/mind/duration.ts");
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`${flag} must be a duration like 15m, 1h, 7d`);
  return ms;
}

export function registerMindWatch(program: Command, mind: Command): void {
  apiOptions(
    program
      .command("expect")
      .description("declare how often a subsystem completes work (a dead-man switch): flagged `missed` when a completion does not come in time")
      .argument("<name>", "the capability (or, with --kind, the source or agent id); check-in names are capabilities"),
  )
    .option("--every <duration>", "at least one completion this often, e.g. 1h, 7d")
    .option("--cron <expr>", 'completions at these times, e.g. "0 9 * * FRI" (5 fields)')
    .option("--tz <zone>", "time zone of --cron (default UTC), e.g. Europe/Paris")
    .option("--grace <duration>", "how late a completion may be (default: half the interval, at most 1h)")
    .option("--kind <kind>", "capability (default), source or agent", "capability")
    .option("--remove", "remove the expectation")
    .option("--list", "list every expectation (NAME is ignored)")
    .option("--json", "print as JSON")
    .action(async (name: string, opts: ApiFlags & { every?: string; cron?: string; tz?: string; grace?: string; kind: string; remove?: boolean; list?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const expectations = seedClient(target(opts)).v1.owner.mind.expectations;
      if (opts.list) {
        const r = await ok(expectations.$get());
        if (opts.json) return log(JSON.stringify(r.expectations, null, 2));
        if (r.expectations.length === 0) return log("no expectations");
        const { formatDuration } = await import("../../../lib/mind/duration.ts");
        for (const e of r.expectations) log(`${e.kind} ${e.name}: ${e.everyMs ? `every ${formatDuration(e.everyMs)}` : `cron "${e.cron}" ${e.tz}`}, grace ${formatDuration(e.graceMs)}`);
        return;
      }
      const kind = opts.kind as SubsystemKind;
      if (opts.remove) {
        await ok(expectations[":name"].$delete({ param: { name }, query: { kind } }), { "path.name": "NAME", "query.kind": "--kind" });
        return log(`expectation for ${opts.kind} ${name} removed`);
      }
      if ((opts.every === undefined) === (opts.cron === undefined)) throw new Error("give --every or --cron (one of them)");
      const everyMs = await duration(opts.every, "--every");
      const graceMs = await duration(opts.grace, "--grace");
      const json = {
        kind,
        ...(everyMs === undefined ? {} : { everyMs }),
        ...(opts.cron === undefined ? {} : { cron: opts.cron }),
        ...(opts.tz === undefined ? {} : { tz: opts.tz }),
        ...(graceMs === undefined ? {} : { graceMs }),
      };
      const blame = { "path.name": "NAME", "body.kind": "--kind", "body.everyMs": "--every", "body.cron": "--cron", "body.tz": "--tz", "body.graceMs": "--grace" };
      const r = await ok(expectations[":name"].$put({ param: { name }, json }), blame);
      if (opts.json) return log(JSON.stringify(r, null, 2));
      const { formatDuration } = await import("../../../lib/mind/duration.ts");
      log(`expecting ${r.kind} ${r.name} ${r.everyMs ? `every ${formatDuration(r.everyMs)}` : `at "${r.cron}" (${r.tz})`}, grace ${formatDuration(r.graceMs)}; \`seed pulse\` flags it missed when a completion does not come`);
    });

  const schedule = program.command("schedule").description("recurring work: the mind creates a task at each run of a cron expression");
  apiOptions(schedule.command("add").description("add (or change) a schedule").argument("<name>", "schedule name, lowercase"))
    .requiredOption("--cron <expr>", 'when, 5 fields: minute hour day month weekday, e.g. "0 9 * * FRI"')
    .requiredOption("--capability <cap>", "who can do the work")
    .requiredOption("--title <title>", "the task's title")
    .option("--tz <zone>", "time zone of --cron (default UTC)")
    .option("--priority <n>", "0 (low) .. 9 (urgent)")
    .option("--deadline <duration>", "each task expires if not done within, e.g. 2h")
    .option("--payload <json>", "JSON each task carries")
    .option("--json", "print as JSON")
    .action(async (name: string, opts: ApiFlags & { cron: string; capability: string; title: string; tz?: string; priority?: string; deadline?: string; payload?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const deadlineInMs = await duration(opts.deadline, "--deadline");
      const payload = jsonFlag(opts.payload, "--payload");
      const json = {
        cron: opts.cron,
        capability: opts.capability,
        title: opts.title,
        ...(opts.tz === undefined ? {} : { tz: opts.tz }),
        ...(opts.priority === undefined ? {} : { priority: Number(opts.priority) }),
        ...(deadlineInMs === undefined ? {} : { deadlineInMs }),
        ...(payload === undefined ? {} : { payload }),
      };
      const blame = { "path.name": "NAME", "body.cron": "--cron", "body.capability": "--capability", "body.title": "--title", "body.tz": "--tz", "body.priority": "--priority", "body.deadlineInMs": "--deadline", "body.payload": "--payload" };
      const r = await ok(seedClient(target(opts)).v1.owner.mind.schedules[":name"].$put({ param: { name }, json }), blame);
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`schedule ${r.name}: "${r.cron}" (${r.tz}) → ${r.capability} "${r.title}"; next run ${iso(r.nextAt)}`);
    });
  apiOptions(schedule.command("list").description("list schedules with their next run"))
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.schedules.$get());
      if (opts.json) return log(JSON.stringify(r.schedules, null, 2));
      if (r.schedules.length === 0) return log("no schedules");
      for (const s of r.schedules) log(`${s.name.padEnd(20)} "${s.cron}" ${s.tz}  → ${s.capability}  next ${iso(s.nextAt)}  runs ${s.runs}${s.missedRuns ? `, ${s.missedRuns} missed while down` : ""}`);
    });
  apiOptions(schedule.command("remove").description("remove a schedule").argument("<name>", "schedule name"))
    .action(async (name: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      await ok(seedClient(target(opts)).v1.owner.mind.schedules[":name"].$delete({ param: { name } }), { "path.name": "NAME" });
      log(`schedule ${name} removed`);
    });

  apiOptions(mind.command("notify").description("send alerts to a webhook (Standard Webhooks signed) through a service you declared with `seed services set NAME --url …`"))
    .option("--service <NAME>", "the declared service the webhook is reached through")
    .option("--to <url>", "the receiver's URL (host and path; default: the service's URL)")
    .option("--secret-from-env <var>", "sign with this whsec_… secret (default: one is generated and shown once)")
    .option("--off", "stop sending alerts to a webhook")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { service?: string; to?: string; secretFromEnv?: string; off?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const notify = seedClient(target(opts)).v1.owner.mind.notify;
      if (opts.off) {
        await ok(notify.$delete());
        return log("alerts go to the seed.alerts topic only");
      }
      if (!opts.service) {
        const r = await ok(notify.$get());
        if (opts.json) return log(JSON.stringify(r.notify, null, 2));
        return log(r.notify ? `alerts → ${r.notify.url} through service ${r.notify.service}` : "no webhook: alerts go to the seed.alerts topic only");
      }
      let url = opts.to;
      if (!url) {
        const { readServices } = await import("../services.ts");
        const { resolveHome } = await import("../home.ts");
        url = readServices(resolveHome(opts.home))[opts.service]?.url;
        if (!url) throw new Error(`no service ${opts.service}: declare it with \`seed services set ${opts.service} --url …\` (then restart), or give --to`);
      }
      let secret: string | undefined;
      if (opts.secretFromEnv) {
        secret = process.env[opts.secretFromEnv];
        if (!secret) throw new Error(`environment variable ${opts.secretFromEnv} is empty or unset`);
      }
      const r = await ok(notify.$put({ json: { service: opts.service, url, ...(secret ? { secret } : {}) } }), { "body.service": "--service", "body.url": "--to", "body.secret": "--secret-from-env" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      if (!r.notify) throw new Error("the seed answered without the webhook");
      log(`alerts → ${r.notify.url} through service ${r.notify.service}`);
      if (r.secret) log(`signing secret (shown once; give it to the receiver to verify webhook-signature):\n${r.secret}`);
    });
  apiOptions(mind.command("alerts").description("alerts: open and closed conditions, and messages not yet delivered"))
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { limit: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.mind.alerts.$get({ query: { limit: opts.limit } }), { "query.limit": "--limit" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      if (r.alerts.length === 0) log("no alerts");
      for (const a of r.alerts) {
        const who = a.subsystem ? `${a.subsystem.kind} ${a.subsystem.name}` : a.key;
        log(`${a.closedAt === null ? "OPEN  " : "closed"} ${a.condition.padEnd(8)} ${who}  since ${iso(a.since)}  sent ${a.sends}×${a.closedAt === null ? `, next reminder ${iso(a.nextReminderAt)}` : `, recovered ${iso(a.closedAt)}`}`);
      }
      for (const u of r.undelivered) log(`undelivered ${u.id} ${u.type}: ${u.attempts} attempts, webhook ${u.hook}, bus ${u.bus ? "sent" : "pending"}${u.lastError ? ` — ${u.lastError}` : ""}`);
    });
}
