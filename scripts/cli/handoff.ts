// `seed handoff`: the owner takes root, and everything an installer could have copied stops
// working. In order, each step only after the one before it succeeded:
//   1. checks that change nothing: the key file can be created, the running seed can pick up new
//      secrets (`seed up` or systemd), and (with --rotate-master-key) every credential decrypts;
//   2. the seed mints the owner's root key and revokes every other root key in one transaction,
//      records and signs it (it answers 503 before changing anything when it cannot sign);
//   3. the owner's key goes to --out, by default SEED_HOME/keys/owner.key where the CLI looks
//      first; the installer's keys/root.key (now revoked) is deleted;
//   4. keys/db.token is replaced (and, with --rotate-master-key, master.key: scripts/cli/rotate.ts),
//      the libSQL server re-reads its token and workerd restarts with the new secrets; the old db
//      token is then refused, which is checked; each rotation is an audit row.
import type { z } from "zod";
import type { HandoffStatusBody } from "../../lib/membrane/wire.ts";
import { closeSync, existsSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { apiTarget, keyFileOf, ok, seedClient, type ApiOptions } from "./api.ts";
import { homePaths } from "./home.ts";
import { readInstallRecord } from "./install/seed-install.ts";
import { dbRefuses, dbUrlOf, findReloader, recordRotation, reload, rotateDbToken } from "./rotate.ts";

type HandoffResult = Awaited<ReturnType<typeof handOff>>;
const handOff = (caller: ApiOptions) => ok(seedClient(caller).v1.owner.handoff.$post());

export type HandoffReport = HandoffResult & { file?: string; rootKeyRetired: boolean; dbToken: "rotated"; masterKey: "rotated" | "unchanged" };

export type HandoffOptions = { out?: string; print?: boolean; rotateMasterKey?: boolean };

export async function runHandoff(target: ApiOptions, opts: HandoffOptions = {}): Promise<HandoffReport> {
  const home = homePaths(target.home);
  // 1. Nothing changes unless every step can be taken.
  const reloader = findReloader(home, readInstallRecord(home.dir) !== null);
  if (!reloader) throw new Error(`no seed is running from ${home.dir} under \`seed up\` or systemd: the handoff rotates its database token, which needs the running seed (start it with \`seed up\`)`);
  if (!existsSync(home.dbToken)) throw new Error(`no database token at ${home.dbToken}`);
  let rotateMaster: ((url: string, rootToken: string) => Promise<string>) | null = null;
  if (opts.rotateMasterKey) {
    const { prepareMasterKeyRotation } = await import("./rotate-master-key.ts");
    rotateMaster = await prepareMasterKeyRotation(home);
  }
  // Pin the key this call uses before the new file exists (it may be the default owner.key).
  const caller = { ...target, keyFile: keyFileOf(target) };
  const { url } = apiTarget(caller);
  const file = opts.print ? null : path.resolve(opts.out ?? home.ownerKey);
  let fd: number | null = null;
  if (file) {
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (err) {
      throw new Error(`cannot create ${file} for the owner's key: ${(err as NodeJS.ErrnoException).code === "EEXIST" ? "it exists (refusing to overwrite a key; pass --out NEWFILE)" : (err as Error).message}`);
    }
  }
  // 2. The seed swaps root.
  let result: HandoffResult;
  try {
    result = await handOff(caller);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    if (file) rmSync(file, { force: true });
    throw err;
  }
  // 3. The owner's key where the CLI looks; the installer's file goes.
  if (fd !== null) {
    writeSync(fd, `${result.token}\n`);
    closeSync(fd);
  }
  const rootKeyRetired = existsSync(home.rootKey) && file !== home.rootKey;
  if (rootKeyRetired) rmSync(home.rootKey);
  // 4. The secrets an installer could have copied.
  const db = await rotateDbToken(home); // the file only: the running seed still uses the old one
  const masterFp = rotateMaster ? await rotateMaster(url, result.token) : null; // recorded by the seed
  await reload(home, reloader, url);
  const dbUrl = dbUrlOf(home);
  if (dbUrl && (await dbRefuses(dbUrl, db.old)) === false) throw new Error("the libSQL server still accepts the old database token after the reload: see `seed logs`");
  await recordRotation(home, "handoff.rotate-db-token", db.fingerprint);
  return { ...result, ...(file ? { file } : {}), rootKeyRetired, dbToken: "rotated", masterKey: masterFp ? "rotated" : "unchanged" };
}

type HandoffStatus = z.output<typeof HandoffStatusBody>;

export function formatHandoffStatus(s: HandoffStatus): string {
  const when = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString());
  return [
    `root is held by: ${s.rootHolder}`,
    ...s.roots.map((r) => `  root ${r.id}  ${r.name.padEnd(10)} since ${when(r.createdAt)}`),
    s.helpers.length ? `helper keys (the membrane): ${s.helpers.length}` : "helper keys (the membrane): none",
    ...s.helpers.map((h) => `  helper ${h.id}  ${h.name.padEnd(20)} ${h.scopes.join(",")}  expires ${h.expiresAt === null ? "never" : when(h.expiresAt)}  last used ${when(h.lastUsedAt)}`),
  ].join("\n");
}
