// `seed services` and `seed credentials`: the only ways out of the seed are services the owner
// names here, and the only secrets it holds for them are credentials stored encrypted here.
import type { Command } from "commander";
import { homeOption, log } from "../cli-common.ts";
import { homePaths, resolveHome } from "../home.ts";

async function readSecret(fromEnv: string | undefined): Promise<string> {
  if (fromEnv) {
    const v = process.env[fromEnv];
    if (!v) throw new Error(`environment variable ${fromEnv} is empty or unset`);
    return v;
  }
  if (process.stdin.isTTY) process.stderr.write("secret (input hidden is not supported; pipe it in): ");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (!secret) throw new Error("no secret on standard input");
  return secret;
}

/** Every change here is an audit row (scripts/cli/cli-audit.ts); before `seed init` there is no ledger yet. */
async function audited(homeDir: string, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  const { auditFromCli } = await import("../cli-audit.ts");
  if ((await auditFromCli(homePaths(homeDir), action, target, detail)) === false) process.stderr.write(`(not in an audit ledger: ${homeDir} has no database yet — run \`seed init\`)\n`);
}

export function registerOutbound(program: Command): void {
  const services = program.command("services").description("outbound services the owner allows (one service binding each); apply at the next `seed up`");
  services
    .command("set")
    .description("allow the Worker to reach one endpoint, e.g. `seed services set LLM --url http://127.0.0.1:11434`")
    .argument("<name>", "binding name, upper case (LLM, EMBEDDINGS)")
    .requiredOption("--url <url>", "the endpoint: its origin, with a base path if it has one (http or https; e.g. https://mcp.example.com/mcp)")
    .option("--credential <name>", "the stored credential the seed sends to it as a Bearer token (its host must be the URL's host)")
    .addOption(homeOption())
    .action(async (name: string, opts: { url: string; credential?: string; home?: string }) => {
      const { setService } = await import("../services.ts");
      const home = resolveHome(opts.home);
      const s = setService(home, name, opts.url, opts.credential);
      await audited(home, "services.set", name, { url: s.url, credential: s.credential ?? null });
      log(`service ${name} → ${s.url}${s.credential ? ` with the credential ${s.credential}` : ""} (takes effect at the next \`seed up\`)`);
    });
  services
    .command("list")
    .description("list the configured outbound services")
    .addOption(homeOption())
    .option("--json", "print as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { readServices } = await import("../services.ts");
      const all = readServices(resolveHome(opts.home));
      if (opts.json) return log(JSON.stringify(all, null, 2));
      const names = Object.keys(all);
      if (names.length === 0) return log("no outbound services: egress is none");
      for (const n of names) log(`${n.padEnd(12)} ${all[n]!.url}${all[n]!.credential ? `  (credential ${all[n]!.credential})` : ""}`);
    });
  services
    .command("remove")
    .description("remove an outbound service")
    .argument("<name>", "binding name")
    .addOption(homeOption())
    .action(async (name: string, opts: { home?: string }) => {
      const { removeService } = await import("../services.ts");
      const home = resolveHome(opts.home);
      if (!removeService(home, name)) throw new Error(`no service ${name}`);
      await audited(home, "services.remove", name);
      log(`service ${name} removed (takes effect at the next \`seed up\`)`);
    });

  const creds = program.command("credentials").description("secrets the seed may send to one host each, encrypted under master.key");
  creds
    .command("set")
    .description("store a credential; the secret is read from standard input (or --from-env VAR), never from an argument")
    .argument("<name>", "credential name (lowercase)")
    .requiredOption("--host <host>", "the one host this secret may be sent to")
    .option("--from-env <var>", "read the secret from this environment variable instead of standard input")
    .addOption(homeOption())
    .action(async (name: string, opts: { host: string; fromEnv?: string; home?: string }) => {
      const { readFileSync } = await import("node:fs");
      const { setCredential } = await import("../../../lib/credentials.ts");
      const { withFileDb } = await import("../migrate.ts");
      const home = homePaths(resolveHome(opts.home));
      const secret = await readSecret(opts.fromEnv);
      await withFileDb(home.db, (db) => setCredential(db, readFileSync(home.masterKey), { name, host: opts.host, secret }));
      await audited(home.dir, "credentials.set", name, { host: opts.host });
      log(`credential ${name} stored for ${opts.host} (encrypted; it is never shown again)`);
    });
  creds
    .command("list")
    .description("list credentials and their hosts (never their values)")
    .addOption(homeOption())
    .option("--json", "print as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { listCredentials } = await import("../../../lib/credentials.ts");
      const { withFileDb } = await import("../migrate.ts");
      const home = homePaths(resolveHome(opts.home));
      const list = await withFileDb(home.db, (db) => listCredentials(db));
      if (opts.json) return log(JSON.stringify(list, null, 2));
      if (list.length === 0) return log("no credentials");
      for (const c of list) log(`${c.name.padEnd(20)} → ${c.host}  (updated ${new Date(c.updatedAt).toISOString()})`);
    });
  creds
    .command("remove")
    .description("delete a credential")
    .argument("<name>", "credential name")
    .addOption(homeOption())
    .action(async (name: string, opts: { home?: string }) => {
      const { removeCredential } = await import("../../../lib/credentials.ts");
      const { withFileDb } = await import("../migrate.ts");
      const home = homePaths(resolveHome(opts.home));
      if (!(await withFileDb(home.db, (db) => removeCredential(db, name)))) throw new Error(`no credential ${name}`);
      await audited(home.dir, "credentials.remove", name);
      log(`credential ${name} removed`);
    });
}
