// `seed memory export|import`: memories as JSONL over the seed's API. Line 1 is a header naming
// the embedder (so an import can tell whether the vectors fit), then one memory per line.
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { ok, seedClient, type ApiOptions, type SeedClient } from "./api.ts";

const FORMAT = "seed-memory";
const VERSION = 1;
const PAGE = 1000;
/** Requests stay well under the seed's 6 MiB body limit, whatever the vectors' dimension. */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** What the import route takes (its zod schema, through the typed client); the seed validates each line. */
type ImportJson = Parameters<SeedClient["v1"]["memory"]["import"]["$post"]>[0]["json"];
type Memory = ImportJson["memories"][number];
type Header = { format?: unknown; version?: unknown; embedder?: ImportJson["embedder"]; count?: number };

async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, "drain");
}

/** Writes every live memory; returns how many. The file is created 0600 and never overwritten. */
export async function exportJsonl(target: ApiOptions, file: string | undefined, progress: (line: string) => void): Promise<number> {
  const out: Writable = file ? createWriteStream(file, { flags: "wx", mode: 0o600 }) : process.stdout;
  if (file) await once(out, "open");
  const memory = seedClient(target).v1.memory;
  let after = 0;
  let written = 0;
  let total = 0;
  for (;;) {
    const page = await ok(memory.export.$get({ query: { after: String(after), limit: String(PAGE) } }));
    if (after === 0) {
      total = page.count ?? 0;
      await writeLine(out, JSON.stringify({ format: FORMAT, version: VERSION, embedder: page.embedder, exportedAt: Date.now(), count: total }));
    }
    for (const m of page.memories) await writeLine(out, JSON.stringify(m));
    written += page.memories.length;
    if (file) progress(`exported ${written}/${total}`);
    if (page.next === null) break;
    after = page.next;
  }
  if (file) {
    out.end();
    await once(out, "finish");
  }
  return written;
}

export async function importJsonl(
  target: ApiOptions,
  file: string,
  opts: { reembed: boolean; batch: number },
  progress: (line: string) => void,
): Promise<{ imported: number; skipped: number; lines: number }> {
  const input = file === "-" ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: Header | null = null;
  const memory = seedClient(target).v1.memory;
  let batch: Memory[] = [];
  let batchBytes = 0;
  let lineNo = 0;
  let seen = 0;
  const result = { imported: 0, skipped: 0, lines: 0 };
  const flush = async () => {
    if (batch.length === 0) return;
    const memories = opts.reembed ? batch.map(({ embedding: _drop, ...m }) => m) : batch;
    const r = await ok(memory.import.$post({ json: { ...(opts.reembed ? {} : { embedder: header!.embedder }), memories } }));
    result.imported += r.imported;
    result.skipped += r.skipped;
    batch = [];
    batchBytes = 0;
    progress(`imported ${result.imported}, skipped ${result.skipped} of ${seen}${header?.count ? `/${header.count}` : ""}`);
  };
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${lineNo} of ${file} is not JSON`);
    }
    if (header === null) {
      const h = (typeof value === "object" && value !== null ? value : {}) as Header;
      if (h.format !== FORMAT || h.version !== VERSION) throw new Error(`${file} is not a seed memory export (line 1 must be its header)`);
      header = h;
      continue;
    }
    if (batch.length > 0 && batchBytes + line.length > MAX_REQUEST_BYTES) await flush();
    batch.push(value as Memory);
    batchBytes += line.length;
    seen++;
    if (batch.length >= opts.batch) await flush();
  }
  if (header === null) throw new Error(`${file} is empty`);
  await flush();
  result.lines = seen;
  return result;
}
