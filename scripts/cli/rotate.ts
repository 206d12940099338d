// The secrets an installer could have copied, replaced by `seed handoff`: keys/db.token (the
// libSQL server's bearer token) and, with --rotate-master-key, master.key. Each rotation is an
// audit row carrying a fingerprint of the new secret (sha256, 16 hex: it identifies the secret,
// it does not reveal it), so the sovereignty report can tell a rotated secret from one unchanged
// since install.
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { randomHex, sha256Hex } from "../../lib/keys.ts";
import { auditFromCli } from "./cli-audit.ts";
import { replaceSecretFile } from "./fs-secure.ts";
import type { Home } from "./home.ts";
import { reloadInstalled } from "./install/systemd-reload.ts";
import { livePid, readPid } from "./pids.ts";

export const fingerprint = async (secret: string | Uint8Array) => (await sha256Hex(secret)).slice(0, 16);

export type Reloader = { kind: "systemd" } | { kind: "seed up"; pid: number };

/** How the running seed will pick up new secrets; null when it cannot (checked before any change). */
export function findReloader(home: Home, installed: boolean): Reloader | null {
  if (installed) return { kind: "systemd" };
  const pid = livePid(home.pid("seed"));
  return pid === null ? null : { kind: "seed up", pid };
}

/** A new keys/db.token, in force once `reload` returns; the old one is refused from then on. */
export async function rotateDbToken(home: Home): Promise<{ old: string; fingerprint: string }> {
  const old = readFileSync(home.dbToken, "utf8").trim();
  const next = randomHex(32);
  replaceSecretFile(home.dbToken, `${next}\n`);
  return { old, fingerprint: await fingerprint(next) };
}

/**
 * Makes the running seed read its secret files again: under systemd the libSQL unit is reloaded
 * and workerd restarted; under `seed up` its supervisor does the same on SIGUSR2. Returns once the
 * new workerd answers (its pid changed and /readyz is 200).
 */
export async function reload(home: Home, how: Reloader, url: string, timeoutMs = 90_000): Promise<void> {
  if (how.kind === "systemd") {
    reloadInstalled(home.dir);
  } else {
    const before = readPid(home.pid("workerd"));
    process.kill(how.pid, "SIGUSR2");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = readPid(home.pid("workerd"));
      if (now !== null && now !== before && (await ready(url))) return;
      if (Date.now() > deadline) throw new Error(`the seed did not come back within ${timeoutMs / 1000} s after re-reading its secrets (see \`seed logs\`)`);
      await delay(100); // polling another process's restart: there is no event to wait on
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await ready(url))) {
    if (Date.now() > deadline) throw new Error(`the seed did not come back within ${timeoutMs / 1000} s after re-reading its secrets`);
    await delay(100);
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** Whether the libSQL server refuses `token` (it answers 401 to it). Null when it cannot be asked. */
export async function dbRefuses(dbUrl: string, token: string): Promise<boolean | null> {
  try {
    const res = await fetch(`${dbUrl}/v2/pipeline`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }] }),
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    return res.status === 401;
  } catch {
    return null;
  }
}

/** The db token's rotation row (the master key's is written by the seed, which re-seals). */
export async function recordRotation(home: Home, action: "handoff.rotate-db-token", fp: string): Promise<void> {
  await auditFromCli(home, action, "keys/db.token", { fingerprint: fp });
}

export function dbUrlOf(home: Home): string | null {
  if (!existsSync(home.state)) return null;
  return (JSON.parse(readFileSync(home.state, "utf8")) as { dbUrl?: string }).dbUrl ?? null;
}
