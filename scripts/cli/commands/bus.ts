// `seed bus`: the message bus from the owner's shell — publish, pull, tail, stats, dead letters and
// requeue — over the running seed's API with the root key (hono's typed client, scripts/cli/api.ts).
// Dead letters are ordinary messages on `<topic>.dead` (the bus moves a message there after its
// subscription's maxDeliveries); the CLI reads them through its own subscription `dead.<topic>`.
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { parseDuration } from "../../../lib/mind/duration.ts";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";

type Delivered = { id: string; seq: number; topic: string; from: string; body: unknown; headers: Record<string, string>; publishedAt: number; deliveryAttempt: number; ackId: string };

function int(flag: string, min: number, max: number) {
  return (raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer ${min}..${max} (got ${JSON.stringify(raw)})`);
    return n;
  };
}

function ms(flag: string, max: number) {
  return (raw: string) => {
    const n = raw === "0" ? 0 : parseDuration(raw);
    if (n === null || n > max) throw new Error(`${flag} must be a duration up to ${max / 1000}s, like 500ms, 10s or 0 (got ${JSON.stringify(raw)})`);
    return n;
  };
}

const show = (m: Delivered) => `#${m.seq} ${new Date(m.publishedAt).toISOString()} from ${m.from}${m.deliveryAttempt > 1 ? ` (attempt ${m.deliveryAttempt})` : ""}: ${JSON.stringify(m.body)}`;

/** The message body: BODY as JSON, or as a string with --text, or a file's JSON with --file (`-` is stdin). */
function bodyOf(raw: string | undefined, opts: { text?: boolean; file?: string }): unknown {
  if (opts.file !== undefined) {
    if (raw !== undefined) throw new Error("give BODY or --file, not both");
    const text = readFileSync(opts.file === "-" ? 0 : opts.file, "utf8");
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`--file: ${opts.file === "-" ? "stdin" : opts.file} is not JSON`);
    }
  }
  if (raw === undefined) throw new Error("BODY is required (JSON, or any text with --text, or --file PATH)");
  if (opts.text) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`BODY is not JSON: ${JSON.stringify(raw.slice(0, 40))} (quote a string as '"hello"' or pass --text)`);
  }
}

function headersOf(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(
    list.map((h) => {
      const i = h.indexOf("=");
      if (i < 1) throw new Error(`--header must be NAME=VALUE (got ${JSON.stringify(h)})`);
      return [h.slice(0, i), h.slice(i + 1)];
    }),
  );
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

type Client = import("../api.ts").SeedClient;
type Blame = import("../api.ts").Blame;

/**
 * Creates the subscription unless it exists on that topic: a PUT with startAt on an existing one
 * would move its cursor back (and deliver again what was acked).
 */
async function ensureSubscription(c: Client, name: string, json: { topic: string; startAt: "earliest" | "latest"; maxDeliveries?: number }, blame: Blame): Promise<void> {
  const { ok } = await import("../api.ts");
  const { subscriptions } = await ok(c.v1.bus.subscriptions.$get());
  if (subscriptions.some((s) => s.name === name && s.topic === json.topic)) return;
  await ok(c.v1.bus.subscriptions[":name"].$put({ param: { name }, json }), blame);
}
/** Leases up to `max` of the topic's dead letters through the subscription dead.<topic> (made on first use). */
async function pullDead(c: Client, topic: string, max: number) {
  const { ok } = await import("../api.ts");
  const name = `dead.${topic}`;
  await ensureSubscription(c, name, { topic: `${topic}.dead`, startAt: "earliest", maxDeliveries: 1000 }, { "path.name": "TOPIC", "body.topic": "TOPIC" });
  const { messages } = await ok(c.v1.bus.subscriptions[":name"].pull.$post({ param: { name }, json: { max } }), { "body.max": "--max" });
  return { name, messages };
}

export function registerBus(program: Command): void {
  const bus = program
    .command("bus")
    .description("the message bus: publish, pull, tail, stats, dead letters and requeue (over the running seed's API, with the root key)");

  apiOptions(bus.command("publish").description("publish one message to a topic; prints its seq once it is committed").argument("<topic>", "topic name ([a-z0-9][a-z0-9._-]*)").argument("[body]", "the message body as JSON ('{\"n\":1}', '\"text\"', 42)"))
    .option("--text", "send BODY as a string, not JSON")
    .option("--file <path>", "read the body (JSON) from a file; - reads stdin")
    .option("--header <name=value>", "a message header (repeatable)", collect)
    .option("--idempotency-key <key>", "the same key on the same topic within 24 h publishes once")
    .option("--json", "print {id, seq} as JSON")
    .addHelpText("after", "\nExamples:\n  seed bus publish orders '{\"id\": 7}'\n  seed bus publish logs --text 'deploy finished' --header source=ci\n  seed bus publish orders --file order.json --idempotency-key order-7")
    .action(async (topic: string, raw: string | undefined, opts: ApiFlags & { text?: boolean; file?: string; header?: string[]; idempotencyKey?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const json = { body: bodyOf(raw, opts), headers: headersOf(opts.header), key: opts.idempotencyKey };
      const r = await ok(c.v1.bus.topics[":topic"].messages.$post({ param: { topic }, json }), { "path.topic": "TOPIC", "body.key": "--idempotency-key", "body.headers": "--header", "body.body": "BODY" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`published to ${topic}: seq ${r.seq} (${r.id})`);
    });

  apiOptions(bus.command("pull").description("pull messages from a subscription and acknowledge them (at-least-once: printed, then acked)").argument("<subscription>", "subscription name"))
    .option("--topic <topic>", "create the subscription on this topic first (or change nothing if it exists)")
    .addOption(new Option("--from <where>", "with --topic, where a new subscription starts").choices(["earliest", "latest"]).default("earliest"))
    .option("--max <n>", "at most this many messages (1..1000)", int("--max", 1, 1000), 100)
    .option("--wait <duration>", "wait up to this long when there are none (0..30s)", ms("--wait", 30_000), 0)
    .option("--no-ack", "leave them leased: they come back after the ack deadline")
    .option("--json", "print the messages as JSON")
    .addHelpText("after", "\nExamples:\n  seed bus pull billing --topic orders --max 10\n  seed bus pull billing --wait 10s --json")
    .action(async (name: string, opts: ApiFlags & { topic?: string; from: "earliest" | "latest"; max: number; wait: number; ack: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const sub = { "path.name": "SUBSCRIPTION" };
      if (opts.topic) await ensureSubscription(c, name, { topic: opts.topic, startAt: opts.from }, { ...sub, "body.topic": "--topic" });
      const { messages } = await ok(c.v1.bus.subscriptions[":name"].pull.$post({ param: { name }, json: { max: opts.max, waitMs: opts.wait } }), { ...sub, "body.max": "--max", "body.waitMs": "--wait" });
      if (opts.json) log(JSON.stringify(messages, null, 2));
      else if (messages.length === 0) log(`no messages on ${name}`);
      else for (const m of messages) log(show(m));
      if (opts.ack && messages.length > 0) await ok(c.v1.bus.subscriptions[":name"].ack.$post({ param: { name }, json: { ackIds: messages.map((m) => m.ackId) } }), sub);
    });

  apiOptions(bus.command("tail").description("follow a topic: print each new message as it arrives, until Ctrl-C (or --limit); a subscription of its own, removed at the end").argument("<topic>", "topic name"))
    .addOption(new Option("--from <where>", "start at the next message (latest) or the oldest kept (earliest)").choices(["earliest", "latest"]).default("latest"))
    .option("--limit <n>", "stop after this many messages", int("--limit", 1, 1_000_000))
    .option("--json", "one JSON message per line")
    .addHelpText("after", "\nExamples:\n  seed bus tail orders\n  seed bus tail seed.alerts --from earliest --limit 5 --json")
    .action(async (topic: string, opts: ApiFlags & { from: "earliest" | "latest"; limit?: number }) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const name = `tail.${process.pid}.${Date.now().toString(36)}`;
      await ok(c.v1.bus.subscriptions[":name"].$put({ param: { name }, json: { topic, startAt: opts.from } }), { "body.topic": "TOPIC" });
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let seen = 0;
      try {
        while (!stopping && (opts.limit === undefined || seen < opts.limit)) {
          const max = Math.min(1000, opts.limit === undefined ? 1000 : opts.limit - seen);
          const { messages } = await ok(c.v1.bus.subscriptions[":name"].pull.$post({ param: { name }, json: { max, waitMs: 10_000 } }));
          for (const m of messages) log(opts.json ? JSON.stringify(m) : show(m));
          seen += messages.length;
          if (messages.length > 0) await ok(c.v1.bus.subscriptions[":name"].ack.$post({ param: { name }, json: { ackIds: messages.map((m) => m.ackId) } }));
        }
      } finally {
        await ok(c.v1.bus.subscriptions[":name"].$delete({ param: { name } })).catch(() => undefined);
      }
    });

  apiOptions(bus.command("stats").description("backlog, in flight, oldest unacked and dead letters of your subscriptions (or one)").argument("[subscription]", "one subscription"))
    .option("--json", "print as JSON")
    .action(async (name: string | undefined, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const names = name ? [name] : (await ok(c.v1.bus.subscriptions.$get())).subscriptions.map((s) => s.name);
      const stats = await Promise.all(names.map((n) => ok(c.v1.bus.subscriptions[":name"].stats.$get({ param: { name: n } }), { "path.name": "SUBSCRIPTION" })));
      if (opts.json) return log(JSON.stringify(name ? stats[0] : stats, null, 2));
      if (stats.length === 0) return log("no subscriptions");
      log(`${"subscription".padEnd(24)} ${"topic".padEnd(24)} backlog  in-flight  oldest-unacked  dead`);
      for (const s of stats) {
        const oldest = s.oldestUnackedAgeMs === null ? "-" : `${Math.round(s.oldestUnackedAgeMs / 1000)}s`;
        log(`${s.subscription.padEnd(24)} ${s.topic.padEnd(24)} ${String(s.backlog).padStart(7)}  ${String(s.inFlight).padStart(9)}  ${oldest.padStart(14)}  ${s.deadLetters}`);
      }
    });

  apiOptions(bus.command("dead").description("list a topic's dead letters (messages on <topic>.dead) with why they died; they stay there").argument("<topic>", "the original topic"))
    .option("--max <n>", "at most this many (1..1000)", int("--max", 1, 1000), 100)
    .option("--json", "print as JSON")
    .addHelpText("after", "\nDead letters are read through the subscription dead.<topic> (created on first use).\nExample:\n  seed bus dead orders")
    .action(async (topic: string, opts: ApiFlags & { max: number }) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const { name, messages } = await pullDead(c, topic, opts.max);
      // Seen, not handled: back at once for the next `dead` or `requeue`.
      if (messages.length > 0) await ok(c.v1.bus.subscriptions[":name"].nack.$post({ param: { name }, json: { ackIds: messages.map((m) => m.ackId), delayMs: 0 } }));
      const rows = messages.map((m) => ({ id: m.id, seq: m.seq, publishedAt: m.publishedAt, from: m.from, subscription: m.headers["x-dead-subscription"] ?? null, reason: m.headers["x-dead-reason"] ?? null, body: m.body }));
      if (opts.json) return log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return log(`no dead letters on ${topic}`);
      for (const r of rows) log(`#${r.seq} ${new Date(r.publishedAt).toISOString()} ${r.subscription ?? "?"}: ${r.reason ?? "?"} — ${JSON.stringify(r.body)}`);
    });

  apiOptions(bus.command("requeue").description("publish a topic's dead letters to the topic again (each once: keyed by its dead-letter id), then remove them from <topic>.dead").argument("<topic>", "the original topic"))
    .option("--max <n>", "at most this many (1..1000)", int("--max", 1, 1000), 1000)
    .option("--json", "print {requeued, results} as JSON")
    .addHelpText("after", "\nExample:\n  seed bus requeue orders")
    .action(async (topic: string, opts: ApiFlags & { max: number }) => {
      const { ok, seedClient } = await import("../api.ts");
      const c = seedClient(target(opts));
      const { name, messages } = await pullDead(c, topic, opts.max);
      if (messages.length === 0) return log(opts.json ? JSON.stringify({ requeued: 0, results: [] }) : `no dead letters on ${topic}`);
      const strip = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith("x-dead-") && !k.startsWith("x-original-")));
      const json = { messages: messages.map((m) => ({ body: m.body, headers: strip(m.headers), key: `requeue:${m.id}` })) };
      const { results } = await ok(c.v1.bus.topics[":topic"]["messages:batch"].$post({ param: { topic }, json }), { "path.topic": "TOPIC" });
      await ok(c.v1.bus.subscriptions[":name"].ack.$post({ param: { name }, json: { ackIds: messages.map((m) => m.ackId) } }));
      if (opts.json) return log(JSON.stringify({ requeued: results.length, results }, null, 2));
      log(`requeued ${results.length} message${results.length === 1 ? "" : "s"} to ${topic}`);
    });
}
