// `seed memory`: the owner's side of the organism's memory, over the running seed's API:
// which embedder, switching it (a resumable reembed), and moving memories as JSONL.
import { Option, type Command } from "commander";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";

type Embedder = { kind: string; model: string; dimension: number; credential?: string };

const describe = (e: Embedder) => `${e.kind} ${e.model} (${e.dimension} dimensions${e.credential ? `, credential ${e.credential}` : ""})`;

function positiveInt(name: string, max: number) {
  return (raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be an integer 1..${max} (got ${JSON.stringify(raw)})`);
    return n;
  };
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function registerMemory(program: Command): void {
  const memory = program
    .command("memory")
    .description("the seed's memory: add, recall, forget; embedder, reembed, export and import (over the running seed's API, with the root key)");

  apiOptions(memory.command("add").description("remember a text (embedded by the active embedder); prints its id").argument("<text>", "what to remember"))
    .option("--tags <a,b>", "comma-separated tags")
    .addOption(new Option("--kind <kind>", "what sort of memory").choices(["episodic", "semantic", "procedural"]).default("semantic"))
    .option("--shared", "every agent may recall it (default: the owner's only, or --agent's)")
    .option("--agent <id>", "remember it as this agent's")
    .option("--json", "print {id} as JSON")
    .addHelpText("after", "\nExample:\n  seed memory add 'Invoices go out on the 1st' --tags billing,policy --shared")
    .action(async (text: string, opts: ApiFlags & { tags?: string; kind: "episodic" | "semantic" | "procedural"; shared?: boolean; agent?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const tags = opts.tags ? opts.tags.split(",").map((t) => t.trim()).filter(Boolean) : [];
      const json = { text, kind: opts.kind, tags, shared: opts.shared === true, ...(opts.agent ? { agentId: opts.agent } : {}) };
      const r = await ok(seedClient(target(opts)).v1.memory.$post({ json }), { "body.text": "TEXT", "body.tags": "--tags", "body.kind": "--kind", "body.agentId": "--agent" });
      if (opts.json) return log(JSON.stringify({ id: r.id ?? r.ids[0] }, null, 2));
      log(`remembered ${r.id ?? r.ids[0]}`);
    });

  apiOptions(memory.command("recall").description("find memories by meaning and by words (hybrid), with their scores and what found them").argument("<query>", "what to look for"))
    .option("--k <n>", "how many (1..100)", positiveInt("--k", 100), 10)
    .addOption(new Option("--mode <mode>", "vector, text, or both fused").choices(["hybrid", "vector", "text"]).default("hybrid"))
    .option("--tags <a,b>", "only memories with all these tags")
    .option("--agent <id>", "only this agent's memories")
    .option("--json", "print the whole answer as JSON")
    .addHelpText("after", "\nExample:\n  seed memory recall 'when do invoices go out' --k 3")
    .action(async (query: string, opts: ApiFlags & { k: number; mode: "hybrid" | "vector" | "text"; tags?: string; agent?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const tags = opts.tags ? opts.tags.split(",").map((t) => t.trim()).filter(Boolean) : undefined;
      const json = { query, k: opts.k, mode: opts.mode, ...(tags ? { tags } : {}), ...(opts.agent ? { agentId: opts.agent } : {}) };
      const r = await ok(seedClient(target(opts)).v1.memory.recall.$post({ json }), { "body.query": "QUERY", "body.k": "--k", "body.mode": "--mode", "body.tags": "--tags", "body.agentId": "--agent" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      if (r.results.length === 0) return log("nothing recalled");
      for (const m of r.results) log(`${m.score.toFixed(4)}  ${m.id}  [${m.foundBy.join("+")}]${m.tags.length ? ` #${m.tags.join(" #")}` : ""}  ${m.text.length > 120 ? `${m.text.slice(0, 117)}...` : m.text}`);
    });

  apiOptions(memory.command("forget").description("delete a memory: gone from recall at once").argument("<id>", "the memory's id"))
    .option("--json", "print {id, deleted} as JSON")
    .action(async (id: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.memory[":id"].$delete({ param: { id } }), { "path.id": "ID" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`forgot ${r.id}`);
    });

  apiOptions(memory.command("status").description("the active embedder, a pending switch and its progress, the number of memories"))
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const s = await ok(seedClient(target(opts)).v1.memory.status.$get());
      if (opts.json) return log(JSON.stringify(s, null, 2));
      log(`memories: ${s.memories}`);
      log(`embedder: ${describe(s.embedder)}`);
      if (s.pending) log(`pending:  ${describe(s.pending)} — ${s.reembed!.done}/${s.reembed!.total} re-embedded; run \`seed memory reembed\``);
    });

  const embedder = memory.command("embedder").description("which embedder turns text into vectors");
  apiOptions(
    embedder
      .command("set")
      .description(
        "choose the embedder: `offline` (built in, no network) or `openai` (an OpenAI-compatible /v1/embeddings endpoint reached through the EMBEDDINGS service, its key a credential). Another embedder's vectors need `seed memory reembed`.",
      )
      .argument("<kind>", "offline | openai"),
  )
    .option("--model <name>", "openai: the model name sent to the endpoint")
    .option("--dimension <n>", "vector dimension (offline default 256; openai: what the model returns)", positiveInt("--dimension", 4096))
    .option("--credential <name>", "openai: the credential sent as Bearer; its host is where requests go (`seed credentials set`)")
    .option("--path <path>", "openai: the endpoint's path", "/v1/embeddings")
    .option("--send-dimensions", "openai: send `dimensions` in the request (text-embedding-3 models can shorten vectors)")
    .option("--json", "print the result as JSON")
    .action(async (kind: string, opts: ApiFlags & { model?: string; dimension?: number; credential?: string; path: string; sendDimensions?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const json =
        kind === "offline"
          ? { kind, ...(opts.dimension ? { dimension: opts.dimension } : {}) }
          : { kind, model: opts.model, dimension: opts.dimension, credential: opts.credential, path: opts.path, sendDimensions: opts.sendDimensions === true };
      const blame = { "body.kind": "KIND", "body.model": "--model", "body.dimension": "--dimension", "body.credential": "--credential", "body.path": "--path" };
      const r = await ok(seedClient(target(opts)).v1.memory.embedder.$put({ json }), blame);
      if (opts.json) return log(JSON.stringify(r, null, 2));
      if (!r.reembedNeeded) return log(`embedder: ${describe(r.active)} (active now; the stored vectors stay valid)`);
      log(`embedder ${describe(r.pending!)} is pending; recall keeps using ${describe(r.active)} until \`seed memory reembed\` finishes`);
    });

  apiOptions(
    memory
      .command("reembed")
      .description("re-embed every memory with the pending embedder, batch by batch, printing progress; resumable: run it again after a stop and it continues"),
  )
    .option("--batch <n>", "memories per step (1..500)", positiveInt("--batch", 500), 200)
    .option("--max-batches <n>", "stop after this many steps (the rest waits for the next run)", positiveInt("--max-batches", Number.MAX_SAFE_INTEGER))
    .option("--json", "print the final state as JSON")
    .action(async (opts: ApiFlags & { batch: number; maxBatches?: number }) => {
      const { ok, seedClient } = await import("../api.ts");
      const client = seedClient(target(opts));
      const step = () => ok(client.v1.memory.reembed.$post({ json: { batch: opts.batch } }), { "body.batch": "--batch" });
      const started = Date.now();
      let first: number | null = null;
      let p = await step();
      let steps = 1;
      if (p.state === "idle") {
        if (opts.json) return log(JSON.stringify(p, null, 2));
        return log(`nothing to re-embed: every memory has vectors from ${describe(p.embedder)}`);
      }
      first = p.done;
      for (;;) {
        const rate = (p.done - first) / Math.max(0.001, (Date.now() - started) / 1000);
        const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
        if (p.state === "running") {
          const line = `reembed ${p.done}/${p.total} (${pct.toFixed(1)}%) · ${rate.toFixed(0)}/s · eta ${duration(((p.total - p.done) / Math.max(rate, 1e-9)) * 1000)}`;
          if (opts.json) process.stderr.write(`${line}\n`);
          else log(line);
        }
        if (p.state === "finished") break;
        if (opts.maxBatches !== undefined && steps >= opts.maxBatches) {
          if (opts.json) return log(JSON.stringify(p, null, 2));
          return log(`stopped after ${steps} step(s) at ${p.done}/${p.total}; run \`seed memory reembed\` again to continue`);
        }
        p = await step();
        steps++;
      }
      if (opts.json) return log(JSON.stringify(p, null, 2));
      log(`done in ${duration(Date.now() - started)}: ${p.total} memories now use ${describe(p.embedder)}`);
    });

  apiOptions(memory.command("export").description("write every live memory, with its vector, as JSONL (a header line, then one memory per line)"))
    .option("--out <file>", "write to this file (0600) instead of standard output")
    .action(async (opts: ApiFlags & { out?: string }) => {
      const { exportJsonl } = await import("../memory-jsonl.ts");
      const n = await exportJsonl(target(opts), opts.out, (line) => process.stderr.write(`${line}\n`));
      if (opts.out) log(`exported ${n} memories to ${opts.out}`);
    });

  apiOptions(
    memory
      .command("import")
      .description("read a `seed memory export` file into this seed; ids already present are skipped, so it can be re-run")
      .argument("<file>", "the JSONL file, or - for standard input"),
  )
    .option("--reembed", "drop the file's vectors and embed with this seed's embedder (when the embedders differ)")
    .option("--batch <n>", "memories per request (1..500)", positiveInt("--batch", 500), 500)
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts: ApiFlags & { reembed?: boolean; batch: number }) => {
      const { importJsonl } = await import("../memory-jsonl.ts");
      const r = await importJsonl(target(opts), file, { reembed: opts.reembed === true, batch: opts.batch }, (line) => process.stderr.write(`${line}\n`));
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`imported ${r.imported}, skipped ${r.skipped} (already present or expired)`);
    });
}
