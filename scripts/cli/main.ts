// The seed CLI. Reached through scripts/seed, which brings Node 22 and the packages.
// Each command imports its module when it runs, so `--help` and light commands start fast.
import { Command, Option } from "commander";
import { homePaths, parsePort, resolveHome, resolvePorts } from "./home.ts";

// Everything the seed writes under SEED_HOME (and its children write: the database, workerd's
// Durable Object files) is private to its user: 0600 files, 0700 folders.
process.umask(0o077);

const log = (line: string) => console.log(line);
const homeOption = () => new Option("--home <dir>", "the organism's folder (env SEED_HOME, default ./.seed in the checkout)");

const program = new Command()
  .name("seed")
  .description("A sovereign AI organism on your own server: bus, mind, memory, identity, one revocable door.")
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({ outputError: (str, write) => write(str) });

program
  .command("init")
  .description("create SEED_HOME: master key, Ed25519 identity, database, db token, installer root key (idempotent)")
  .addOption(homeOption())
  .option("--json", "print the report as JSON")
  .action(async (opts: { home?: string; json?: boolean }) => {
    const { initHome } = await import("./seed-init.ts");
    const report = await initHome(homePaths(resolveHome(opts.home)));
    if (opts.json) return log(JSON.stringify(report, null, 2));
    if (report.created.length === 0) {
      log(`nothing to do: ${report.home} is already initialised (seed ${report.seedId}); nothing was changed`);
    } else {
      log(`initialised ${report.home} (seed ${report.seedId}): created ${report.created.join(", ")}`);
    }
    if (report.rootKey) {
      log(`\ninstaller root key — shown once, also saved to ${report.rootKeyPath} (0600):\n${report.rootKey}`);
    } else {
      log(`root key: ${report.rootKeyPath}`);
    }
  });

program
  .command("up")
  .description("bring the organism up: libSQL server + workerd, supervised, until SIGINT/SIGTERM")
  .addOption(homeOption())
  .option("--port <n>", "HTTP port of the Worker (env SEED_PORT, default 8787)")
  .option("--db-port <n>", "port of the libSQL server (env SEED_DB_PORT, default 8788)")
  .option("--listen <addr>", "address the Worker listens on (env SEED_LISTEN, default 127.0.0.1)")
  .action(async (opts: { home?: string; port?: string; dbPort?: string; listen?: string }) => {
    const { seedUp } = await import("./seed-up.ts");
    await seedUp({ home: resolveHome(opts.home), ports: resolvePorts(opts), log });
  });

program
  .command("status")
  .description("processes, ports, seed id, database size, readiness")
  .addOption(homeOption())
  .option("--json", "print the status as JSON")
  .action(async (opts: { home?: string; json?: boolean }) => {
    const { formatStatus, seedStatus } = await import("./seed-status.ts");
    const s = await seedStatus(resolveHome(opts.home));
    log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
  });

const db = program.command("db").description("the libSQL server");
db.command("serve")
  .description("run the libSQL server alone (Hrana over HTTP) in the foreground")
  .addOption(homeOption())
  .option("--port <n>", "port (env SEED_DB_PORT, default 8788)")
  .option("--listen <addr>", "address (env SEED_DB_LISTEN, default 127.0.0.1)")
  .action(async (opts: { home?: string; port?: string; listen?: string }) => {
    const { dbServe } = await import("./db-serve.ts");
    const ports = resolvePorts({ dbPort: opts.port });
    await dbServe(resolveHome(opts.home), opts.listen ?? ports.dbListen, opts.port ? parsePort(opts.port, "--port") : ports.dbPort, log);
  });

const apiOptions = (cmd: Command) =>
  cmd
    .addOption(homeOption())
    .option("--url <url>", "the seed's HTTP URL (env SEED_URL; default: the running seed of --home)")
    .option("--key-file <file>", "file holding the owner's root key (env SEED_KEY_FILE; default SEED_HOME/keys/root.key)");
type ApiFlags = { home?: string; url?: string; keyFile?: string; json?: boolean };
const target = (o: ApiFlags) => ({ home: resolveHome(o.home), url: o.url, keyFile: o.keyFile });

const agentsCmd = program.command("agents").description("register, list and remove the seed's agents");
apiOptions(agentsCmd.command("add").description("register an agent; prints its token once").argument("<name>", "the agent's name"))
  .option("--capability <cap...>", "what the agent can do (repeatable)", [])
  .option("--json", "print the result as JSON")
  .action(async (name: string, opts: ApiFlags & { capability: string[] }) => {
    const { api } = await import("./api.ts");
    const r = await api<{ id: string; name: string; capabilities: string[]; token: string }>(target(opts), "POST", "/v1/owner/agents", { name, capabilities: opts.capability });
    if (opts.json) return log(JSON.stringify(r, null, 2));
    log(`agent ${r.name} registered: id ${r.id}, capabilities ${r.capabilities.join(", ") || "(none)"}`);
    log(`token (shown once; give it to the agent):\n${r.token}`);
  });
apiOptions(agentsCmd.command("list").description("list the registered agents"))
  .option("--json", "print the list as JSON")
  .action(async (opts: ApiFlags) => {
    const { api } = await import("./api.ts");
    const r = await api<{ agents: { id: string; name: string; capabilities: string[]; createdAt: number }[] }>(target(opts), "GET", "/v1/owner/agents");
    if (opts.json) return log(JSON.stringify(r.agents, null, 2));
    if (r.agents.length === 0) return log("no agents");
    for (const a of r.agents) log(`${a.id}  ${a.name.padEnd(24)} ${a.capabilities.join(",")}  since ${new Date(a.createdAt).toISOString()}`);
  });
apiOptions(agentsCmd.command("remove").description("remove an agent and revoke its token at once").argument("<id>", "the agent's id"))
  .action(async (id: string, opts: ApiFlags) => {
    const { api } = await import("./api.ts");
    await api(target(opts), "DELETE", `/v1/owner/agents/${encodeURIComponent(id)}`);
    log(`agent ${id} removed; its token is revoked`);
  });

program
  .command("build")
  .description("bundle the Worker and write SEED_HOME/run/config.capnp (seed up does this itself)")
  .addOption(homeOption())
  .option("--port <n>", "HTTP port written into the config (env SEED_PORT, default 8787)")
  .option("--db-port <n>", "libSQL server port written into the config (env SEED_DB_PORT, default 8788)")
  .action(async (opts: { home?: string; port?: string; dbPort?: string }) => {
    const { initHome } = await import("./seed-init.ts");
    const { generateConfig } = await import("./seed-up.ts");
    const home = homePaths(resolveHome(opts.home));
    const { seedId } = await initHome(home);
    log(`wrote ${await generateConfig(home, seedId, resolvePorts(opts))}`);
  });

program
  .command("dev")
  .description("development: wrangler dev against the libSQL server (not how the seed runs; use `seed up`)")
  .addOption(homeOption())
  .action(async (opts: { home?: string }) => {
    const { seedDev } = await import("./dev.ts");
    await seedDev(opts.home);
  });

program
  .command("test")
  .description("run every test: typecheck, Node suites (units, libSQL server, system) and Worker suites")
  .argument("[filters...]", "only test files matching these (skips the typecheck)")
  .action(async (filters: string[]) => {
    const { seedTest } = await import("./seed-test.ts");
    process.exitCode = seedTest(filters);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
