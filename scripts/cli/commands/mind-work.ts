// `seed work`: import task history, add and list work in the mind's ledger.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { TaskState } from "../../../lib/mind/wire.ts";
import { apiOptions, jsonFlag, log, target, type ApiFlags } from "../cli-common.ts";

const DEFAULT_BATCH = 5000;
const MAX_BATCH = 20_000;

export function registerWork(program: Command): void {
  const work = program.command("work").description("the mind's work ledger: import history, add, list and show tasks");

  apiOptions(
    work
      .command("import")
      .description(
        "load task history (JSON Lines, one task per line, past timestamps kept) so the mind sees what happened before the seed; " +
          "all files of one run are one import: the mind looks at it only once all of it is in; re-running skips tasks already there",
      )
      .argument("<files...>", ".jsonl files, in order"),
  )
    .option("--batch <n>", `lines per request (at most ${MAX_BATCH}; default ${DEFAULT_BATCH})`, String(DEFAULT_BATCH))
    .option("--session <id>", "name the import, to continue it in a later run (see --more)")
    .option("--more", "more parts follow (`seed work import NEXT --session <id>`): the mind waits for them, up to 10 minutes of quiet")
    .option("--json", "print the totals as JSON")
    .action(async (files: string[], opts: ApiFlags & { batch: string; session?: string; more?: boolean }) => {
      const { ok, seedClient, ApiError } = await import("../api.ts");
      const { randomId } = await import("../../../lib/keys.ts");
      const size = Number(opts.batch);
      if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH) throw new Error(`--batch must be 1..${MAX_BATCH}`);
      if (opts.session !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(opts.session)) throw new Error("--session must be [A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
      const importId = opts.session ?? `cli_${randomId()}`;
      const totals = { imported: 0, skipped: 0, lines: 0, importId, open: Boolean(opts.more) };
      let batch: { file: string; line: number; task: unknown }[] = [];
      const flush = async (final: boolean) => {
        if (batch.length === 0 && !final) return;
        try {
          const r = await ok(seedClient(target(opts)).v1.owner.mind.import.$post({ json: { tasks: batch.map((b) => b.task), importId, final } }));
          totals.imported += r.imported;
          totals.skipped += r.skipped;
        } catch (err) {
          // The server names the task by its index in the batch; say which line of which file it was.
          const m = err instanceof ApiError ? /tasks\.(\d+)(.*)$/.exec(err.message) : null;
          const at = m ? batch[Number(m[1])] : undefined;
          if (m && at) throw new Error(`${at.file}:${at.line}: ${m[2]!.replace(/^\.?/, "")} (nothing from ${batch[0]!.file}:${batch[0]!.line} on was imported; run again to continue: present tasks are skipped)`);
          throw err;
        }
        batch = [];
      };
      for (const file of files) {
        let n = 0;
        for await (const raw of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
          n++;
          if (raw.trim() === "") continue;
          let task: unknown;
          try {
            task = JSON.parse(raw);
          } catch {
            throw new Error(`${file}:${n}: not JSON`);
          }
          totals.lines++;
          batch.push({ file, line: n, task });
          if (batch.length >= size) await flush(false);
        }
      }
      // The last request says whether the import is complete; the mind wakes to look at it then.
      await flush(!opts.more);
      if (opts.json) return log(JSON.stringify(totals));
      const what = `imported ${totals.imported} tasks from ${files.join(", ")}${totals.skipped ? ` (${totals.skipped} already there, skipped)` : ""}`;
      log(opts.more ? `${what}; import ${importId} stays open: continue with \`seed work import NEXT --session ${importId}\` within 10 minutes` : `${what}; the mind wakes to look at all of it`);
    });

  apiOptions(work.command("add").description("create a task; the mind dispatches it to an agent with the capability").argument("<title>", "what to do"))
    .requiredOption("--capability <cap>", "who can do it")
    .option("--priority <n>", "0 (low) .. 9 (urgent), default 5")
    .option("--deadline <duration>", "expire it if not done within, e.g. 2h")
    .option("--payload <json>", "JSON the agent receives with the task")
    .option("--json", "print the task as JSON")
    .action(async (title: string, opts: ApiFlags & { capability: string; priority?: string; deadline?: string; payload?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const { parseDuration } = await import("../../../lib/mind/duration.ts");
      const deadlineInMs = opts.deadline === undefined ? undefined : parseDuration(opts.deadline);
      if (deadlineInMs === null) throw new Error("--deadline must be a duration like 90s, 2h, 7d");
      const payload = jsonFlag(opts.payload, "--payload");
      const json = {
        title,
        capability: opts.capability,
        ...(opts.priority === undefined ? {} : { priority: Number(opts.priority) }),
        ...(deadlineInMs === undefined ? {} : { deadlineInMs }),
        ...(payload === undefined ? {} : { payload }),
      };
      const blame = { "body.title": "TITLE", "body.capability": "--capability", "body.priority": "--priority", "body.deadlineInMs": "--deadline", "body.payload": "--payload" };
      const t = await ok(seedClient(target(opts)).v1.work.$post({ json }), blame);
      if (opts.json) return log(JSON.stringify(t, null, 2));
      log(`task ${t.id} created (${t.capability}, priority ${t.priority}${t.deadline ? `, deadline ${new Date(t.deadline).toISOString()}` : ""})`);
    });

  apiOptions(work.command("show").description("one task: its fields and its history (every state change, with who and when)").argument("<id>", "the task's id"))
    .option("--json", "print as JSON")
    .action(async (id: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const t = await ok(seedClient(target(opts)).v1.work[":id"].$get({ param: { id } }), { "path.id": "ID" });
      if (opts.json) return log(JSON.stringify(t, null, 2));
      const at = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());
      log(`${t.id}  ${t.title}`);
      log(`state:      ${t.state}${t.assignee ? ` (${t.assignee})` : ""}, attempts ${t.attempts}`);
      log(`capability: ${t.capability}, priority ${t.priority}, origin ${t.origin}, source ${t.source}`);
      log(`created:    ${at(t.createdAt)}; deadline ${at(t.deadline)}; finished ${at(t.finishedAt)}`);
      if (t.payload !== null && t.payload !== undefined) log(`payload:    ${JSON.stringify(t.payload)}`);
      if (t.result !== null && t.result !== undefined) log(`result:     ${JSON.stringify(t.result)}`);
      if (t.reason) log(`reason:     ${t.reason}`);
      log("history:");
      for (const h of t.history) log(`  ${at(h.at)}  ${h.state.padEnd(10)} ${h.actor}${h.note ? `  ${h.note}` : ""}`);
    });

  apiOptions(work.command("list").description("list tasks, newest first"))
    .option("--state <state>", "open, dispatched, claimed, done, failed or expired")
    .option("--capability <cap>", "only this capability")
    .option("--limit <n>", "at most this many (1..1000)", "50")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { state?: string; capability?: string; limit: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const query = { limit: opts.limit, ...(opts.state ? { state: opts.state as TaskState } : {}), ...(opts.capability ? { capability: opts.capability } : {}) };
      const r = await ok(seedClient(target(opts)).v1.work.$get({ query }), { "query.limit": "--limit", "query.state": "--state", "query.capability": "--capability" });
      if (opts.json) return log(JSON.stringify(r.tasks, null, 2));
      if (r.tasks.length === 0) return log("no tasks");
      for (const t of r.tasks) log(`${t.id}  ${t.state.padEnd(10)} ${t.capability.padEnd(16)} ${new Date(t.createdAt).toISOString()}  ${t.title}`);
    });
}
