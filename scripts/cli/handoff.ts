// `seed handoff`: the owner takes root. The new key is written to --out (created 0600, never over
// an existing file) or printed once; the file is opened before the seed is asked, so a key the
// installer no longer holds is never lost on the way to the owner.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { api, keyFileOf, type ApiOptions } from "./api.ts";

export type HandoffResult = {
  id: string;
  name: string;
  token: string;
  revoked: { id: string; name: string }[];
  audit: { recorded: boolean; checkpoint: { seq: number; headHash: string; signature: string } | null };
};

export async function runHandoff(target: ApiOptions, out?: string): Promise<HandoffResult & { file?: string }> {
  if (!out) return api<HandoffResult>(target, "POST", "/v1/owner/handoff");
  const file = path.resolve(out);
  // Pin the key this call uses before the new file exists (it may be the default owner.key).
  const caller = { ...target, keyFile: keyFileOf(target) };
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (err) {
    throw new Error(`cannot create ${file} for the owner's key: ${(err as NodeJS.ErrnoException).code === "EEXIST" ? "it exists (refusing to overwrite a key)" : (err as Error).message}`);
  }
  let result: HandoffResult;
  try {
    result = await api<HandoffResult>(caller, "POST", "/v1/owner/handoff");
  } catch (err) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw err;
  }
  writeSync(fd, `${result.token}\n`);
  closeSync(fd);
  return { ...result, file };
}

export type HandoffStatus = {
  rootHolder: string;
  roots: { id: string; name: string; createdAt: number }[];
  helpers: { id: string; name: string; scopes: string[]; expiresAt: number | null; lastUsedAt: number | null }[];
};

export function formatHandoffStatus(s: HandoffStatus): string {
  const when = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString());
  return [
    `root is held by: ${s.rootHolder}`,
    ...s.roots.map((r) => `  root ${r.id}  ${r.name.padEnd(10)} since ${when(r.createdAt)}`),
    s.helpers.length ? `helper keys (the membrane): ${s.helpers.length}` : "helper keys (the membrane): none",
    ...s.helpers.map((h) => `  helper ${h.id}  ${h.name.padEnd(20)} ${h.scopes.join(",")}  expires ${h.expiresAt === null ? "never" : when(h.expiresAt)}  last used ${when(h.lastUsedAt)}`),
  ].join("\n");
}
