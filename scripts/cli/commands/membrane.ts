// The membrane and the handoff: `seed membrane` (helper keys), `seed keys`, `seed handoff`, and
// `seed audit` (the sovereignty report, the ledger, its verification).
import type { Command } from "commander";
import { apiOptions, homeOption, log, target, type ApiFlags } from "../cli-common.ts";
import { homePaths, resolveHome } from "../home.ts";

type KeyInfo = { id: string; kind: string; name: string; scopes: string[]; state: string; expiresAt: number | null; lastUsedAt: number | null };

const when = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());
const keyLine = (k: KeyInfo) =>
  `${k.id}  ${k.kind.padEnd(6)} ${k.state.padEnd(7)} ${k.name.padEnd(20)} ${(k.scopes.join(",") || "-").padEnd(24)} expires ${when(k.expiresAt)}  last used ${when(k.lastUsedAt)}`;

export function registerMembrane(program: Command): void {
  const membrane = program.command("membrane").description("the provider's door: helper keys with explicit scopes, revocable at once");
  apiOptions(membrane.command("grant").description("mint a helper key; prints it once"))
    .requiredOption("--name <name>", "who the key is for, e.g. \"acme support\"")
    .requiredOption("--scopes <list>", "comma-separated: status:read, coherence:read, work:read, work:write, bus:publish:<topic-glob>, bus:read:<topic-glob>, memory:read, audit:read")
    .option("--ttl <ttl>", "lifetime, e.g. 12h or 30d (default: until revoked)")
    .option("--json", "print the result as JSON")
    .action(async (opts: ApiFlags & { name: string; scopes: string; ttl?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const scopes = opts.scopes.split(",").map((s) => s.trim()).filter(Boolean);
      const json = { name: opts.name, scopes, ...(opts.ttl ? { ttl: opts.ttl } : {}) };
      const r = await ok(seedClient(target(opts)).v1.owner.membrane.$post({ json }), { "body.name": "--name", "body.scopes": "--scopes", "body.ttl": "--ttl" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`helper key ${r.id} for ${r.name}: ${r.scopes.join(", ")}; expires ${r.expiresAt === null ? "never (until revoked)" : when(r.expiresAt)}`);
      log(`token (shown once; give it to the helper):\n${r.token}`);
    });
  apiOptions(membrane.command("list").description("list helper keys (live by default)"))
    .option("--all", "include expired and revoked keys")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { all?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.membrane.$get({ query: opts.all ? { state: "all" } : {} }));
      if (opts.json) return log(JSON.stringify(r.helpers, null, 2));
      if (r.helpers.length === 0) return log("no helper keys: the membrane is closed");
      for (const k of r.helpers) log(keyLine(k));
    });
  apiOptions(membrane.command("revoke").description("revoke a helper key: its next request is 401, its WebSockets close").argument("<id>", "the helper key's id"))
    .action(async (id: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.membrane[":id"].$delete({ param: { id } }), { "path.id": "ID" });
      log(`helper key ${r.id} (${r.name}) revoked; ${r.disconnected} open WebSocket(s) closed`);
    });

  const keysCmd = program.command("keys").description("every key of every kind (root, agent, helper); secrets are never shown");
  apiOptions(keysCmd.command("list").description("list keys"))
    .option("--kind <kind>", "root, agent or helper")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { kind?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const query = opts.kind ? { kind: opts.kind as "root" | "agent" | "helper" } : {};
      const r = await ok(seedClient(target(opts)).v1.owner.keys.$get({ query }), { "query.kind": "--kind" });
      if (opts.json) return log(JSON.stringify(r.keys, null, 2));
      for (const k of r.keys) log(keyLine(k));
    });
  apiOptions(keysCmd.command("revoke").description("revoke any key (not the last live root key: use `seed handoff`)").argument("<id>", "the key's id"))
    .action(async (id: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.keys[":id"].$delete({ param: { id } }), { "path.id": "ID" });
      log(`${r.kind} key ${r.id} (${r.name}) revoked`);
    });

  apiOptions(
    program
      .command("handoff")
      .description("the owner takes root: mint the owner's root key, revoke the installer's (record and sign it), retire keys/root.key, rotate the database token; optionally re-seal every secret under a new master key"),
  )
    .option("--out <file>", "write the owner's root key to this new file (0600) instead of SEED_HOME/keys/owner.key, where the CLI looks first")
    .option("--print", "print the owner's root key once instead of writing it to a file")
    .option("--rotate-master-key", "also re-seal every credential and webhook secret under a new master.key (all or nothing); the old one is deleted")
    .option("--status", "show who holds root (installer or owner) and which helper keys exist; changes nothing")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { out?: string; print?: boolean; rotateMasterKey?: boolean; status?: boolean }) => {
      const { ok, seedClient } = await import("../api.ts");
      const { formatHandoffStatus, runHandoff } = await import("../handoff.ts");
      if (opts.status) {
        const s = await ok(seedClient(target(opts)).v1.owner.handoff.$get());
        return log(opts.json ? JSON.stringify(s, null, 2) : formatHandoffStatus(s));
      }
      const r = await runHandoff(target(opts), { out: opts.out, print: opts.print, rotateMasterKey: opts.rotateMasterKey });
      if (opts.json) return log(JSON.stringify(r.file ? { ...r, token: undefined } : r, null, 2));
      log(`the owner now holds root: key ${r.id}; revoked ${r.revoked.map((k) => `${k.name} ${k.id}`).join(", ") || "nothing"}`);
      log(r.audit.recorded ? `recorded in the audit ledger; checkpoint signed at row ${r.audit.checkpoint?.seq}` : "WARNING: the audit ledger could not record the handoff");
      if (r.file) log(`owner's root key written to ${r.file} (0600)${r.rootKeyRetired ? "; keys/root.key deleted" : ""}`);
      else log(`owner's root key (shown once; keep it safe — the installer's key no longer works):\n${r.token}`);
      log("database token rotated: the old one is refused");
      log(r.masterKey === "rotated" ? "master key rotated: every secret re-sealed, the old master.key deleted" : "master key unchanged (seed handoff --rotate-master-key replaces it)");
    });

  const audit = program
    .command("audit")
    .description("the sovereignty report (egress, credentials, live connections, who holds root, secrets unchanged since install); exit 0 clean, 1 not clean, 2 not checked (the seed is not running)")
    .addOption(homeOption())
    .option("--json", "print the signed report as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { formatReport, sovereigntyReport } = await import("../sovereignty.ts");
      const r = await sovereigntyReport(resolveHome(opts.home));
      log(opts.json ? JSON.stringify(r, null, 2) : formatReport(r));
      process.exitCode = r.verdict === "clean" ? 0 : r.verdict === "not clean" ? 1 : 2;
    });
  apiOptions(audit.command("log").description("read the audit ledger (oldest first)"))
    .option("--after <seq>", "rows after this one", "0")
    .option("--limit <n>", "at most this many rows", "100")
    .option("--key <id>", "only rows about this key id")
    .option("--json", "print as JSON")
    .action(async (_opts: unknown, cmd: Command) => {
      // `--home` is also an option of `seed audit` itself: read it wherever it was given.
      const opts = cmd.optsWithGlobals<ApiFlags & { after: string; limit: string; key?: string }>();
      const { ok, seedClient } = await import("../api.ts");
      const query = { after: opts.after, limit: opts.limit, ...(opts.key ? { keyId: opts.key } : {}) };
      const r = await ok(seedClient(target(opts)).v1.owner.audit.$get({ query }), { "query.after": "--after", "query.limit": "--limit", "query.keyId": "--key" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      for (const x of r.rows) {
        const what = x.action === "request" ? `${x.method} ${x.route} scope=${x.scope ?? "-"} → ${x.status}` : `${x.action} ${x.detail ?? ""}`;
        log(`${String(x.seq).padStart(6)}  ${new Date(x.at).toISOString()}  ${x.actor.padEnd(6)} ${(x.keyId ?? "-").padEnd(16)}  ${what}`);
      }
      if (r.next !== null) log(`(more: --after ${r.next})`);
    });
  audit
    .command("verify")
    .description("recompute the ledger's hash chain and check its signed checkpoints; names the first altered or removed row")
    .addOption(homeOption())
    .option("--json", "print the result as JSON")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ home?: string; json?: boolean }>();
      const { formatVerification, verifyLedger } = await import("../audit-verify.ts");
      const v = await verifyLedger(homePaths(resolveHome(opts.home)));
      log(opts.json ? JSON.stringify(v, null, 2) : formatVerification(v));
      if (!v.ok) process.exitCode = 1;
    });
}
