// The organism's own lifecycle: init, up, status, the libSQL server, build, dev, test, mutate.
import type { Command } from "commander";
import { homeOption, log } from "../cli-common.ts";
import { homePaths, parsePort, resolveHome, resolvePorts } from "../home.ts";

export function registerCore(program: Command): void {
  program
    .command("init")
    .description("create SEED_HOME: master key, Ed25519 identity, database, db token, installer root key (idempotent)")
    .addOption(homeOption())
    .option("--json", "print the report as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { initHome } = await import("../seed-init.ts");
      const { rootKey, ...report } = await initHome(homePaths(resolveHome(opts.home)));
      // A key goes to an interactive terminal only, never into a pipe, a log or a journal.
      const showKey = rootKey !== undefined && process.stdout.isTTY;
      if (opts.json) return log(JSON.stringify({ ...report, ...(rootKey ? { rootKeyCreated: true } : {}), ...(showKey ? { rootKey } : {}) }, null, 2));
      if (report.created.length === 0) {
        log(`nothing to do: ${report.home} is already initialised (seed ${report.seedId}); nothing was changed`);
      } else {
        log(`initialised ${report.home} (seed ${report.seedId}): created ${report.created.join(", ")}`);
      }
      if (showKey) log(`\ninstaller root key — shown once, also saved to ${report.rootKeyPath} (0600):\n${rootKey}`);
      else if (rootKey) log(`installer root key saved to ${report.rootKeyPath} (0600)`);
      else log((await import("../key-file.ts")).keyFileLine(report.home));
    });

  program
    .command("up")
    .description("bring the organism up: libSQL server + workerd, supervised, until SIGINT/SIGTERM")
    .addOption(homeOption())
    .option("--port <n>", "HTTP port of the Worker (env SEED_PORT, default 8787)")
    .option("--db-port <n>", "port of the libSQL server (env SEED_DB_PORT, default 8788)")
    .option("--listen <addr>", "address the Worker listens on (env SEED_LISTEN, default 127.0.0.1)")
    .action(async (opts: { home?: string; port?: string; dbPort?: string; listen?: string }) => {
      const up = { home: resolveHome(opts.home), ports: resolvePorts(opts) };
      // The long-lived supervisor runs as one plain-JavaScript bundle (build-supervisor.ts);
      // in-process only when that bundle cannot be made.
      const { execSupervisor } = await import("../build-supervisor.ts");
      await execSupervisor(up);
      const { seedUp } = await import("../seed-up.ts");
      await seedUp(up);
    });

  program
    .command("status")
    .description("processes, ports, seed id, database size, readiness")
    .addOption(homeOption())
    .option("--json", "print the status as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { formatStatus, seedStatus } = await import("../seed-status.ts");
      const s = await seedStatus(resolveHome(opts.home));
      log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      process.exitCode = s.exitCode;
    });

  program
    .command("doctor")
    .description("check Node, workerd, permissions, disk, clock, databases, the audit chain, backups, the mind and the declared services; a fix for each failure")
    .addOption(homeOption())
    .option("--json", "print the checks as JSON")
    .action(async (opts: { home?: string; json?: boolean }) => {
      const { formatDoctor, seedDoctor } = await import("../seed-doctor.ts");
      const r = await seedDoctor(resolveHome(opts.home));
      log(opts.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
      if (!r.ok) process.exitCode = 1;
    });

  program
    .command("logs")
    .description("the organism's JSON log lines (the journal under systemd, SEED_HOME/logs/seed.log with `seed up`)")
    .addOption(homeOption())
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --lines <n>", "how many of the last lines", "200")
    .option("--pretty", "one readable line per record instead of JSON")
    .action(async (opts: { home?: string; follow?: boolean; lines: string; pretty?: boolean }) => {
      const { seedLogs } = await import("../seed-logs.ts");
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 1) throw new Error("--lines must be a positive integer");
      process.exitCode = await seedLogs({ home: resolveHome(opts.home), follow: opts.follow ?? false, lines, pretty: opts.pretty ?? false });
    });

  const db = program.command("db").description("the libSQL server");
  db.command("serve")
    .description("run the libSQL server alone (Hrana over HTTP) in the foreground")
    .addOption(homeOption())
    .option("--port <n>", "port (env SEED_DB_PORT, default 8788)")
    .option("--listen <addr>", "address (env SEED_DB_LISTEN, default 127.0.0.1)")
    .action(async (opts: { home?: string; port?: string; listen?: string }) => {
      const { dbServe } = await import("../db-serve.ts");
      const ports = resolvePorts({ dbPort: opts.port });
      await dbServe(resolveHome(opts.home), opts.listen ?? ports.dbListen, opts.port ? parsePort(opts.port, "--port") : ports.dbPort, log);
    });

  program
    .command("build")
    .description("init if needed, bundle the Worker and the libSQL server, write SEED_HOME/run/config.capnp (seed up does this itself)")
    .addOption(homeOption())
    .option("--port <n>", "HTTP port written into the config (env SEED_PORT, default 8787)")
    .option("--db-port <n>", "libSQL server port written into the config (env SEED_DB_PORT, default 8788)")
    .option("--listen <addr>", "address the Worker listens on (env SEED_LISTEN, default 127.0.0.1)")
    .option("--json", "print what was prepared as JSON (the installer root key only when just minted)")
    .action(async (opts: { home?: string; port?: string; dbPort?: string; listen?: string; json?: boolean }) => {
      const { prepare } = await import("../prepare.ts");
      const p = await prepare(resolveHome(opts.home), resolvePorts(opts));
      const { rootKey, ...init } = p.init;
      // Never the key itself: `seed up` reads this JSON through a pipe. It shows the file's key on a terminal.
      if (opts.json) return log(JSON.stringify({ ...init, ...(rootKey ? { rootKeyCreated: true } : {}), dbServer: p.dbServer, config: p.config }));
      if (rootKey && process.stdout.isTTY) log(`installer root key — shown once, also saved to ${init.rootKeyPath} (0600):\n${rootKey}`);
      else if (rootKey) log(`installer root key saved to ${init.rootKeyPath} (0600)`);
      log(`wrote ${p.config} and ${p.dbServer}`);
    });

  program
    .command("dev")
    .description("development: wrangler dev against the libSQL server (not how the seed runs; use `seed up`)")
    .addOption(homeOption())
    .action(async (opts: { home?: string }) => {
      const { seedDev } = await import("../dev.ts");
      await seedDev(opts.home);
    });

  program
    .command("bench")
    .description("run a benchmark from bench/ (db, up, bus, memory, mind, membrane, console, …); prints JSON")
    .argument("<name>", "benchmark name, e.g. bus")
    .action(async (name: string) => {
      const { spawnSync } = await import("node:child_process");
      const { existsSync } = await import("node:fs");
      const path = await import("node:path");
      const { ROOT } = await import("../../workerd-config/build-worker.ts");
      const file = path.join(ROOT, "bench", `${name}.ts`);
      if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) throw new Error(`no benchmark bench/${name}.ts`);
      const { ensureSystemPackages } = await import("../system-packages.ts");
      ensureSystemPackages("bench"); // what is still missing is named; the benchmark that needs it fails clearly
      const r = spawnSync(process.execPath, [...process.execArgv, file], { stdio: "inherit" });
      process.exitCode = r.status ?? 1;
    });

  program
    .command("test")
    .description("run every test: typecheck, Node suites (units, libSQL server, system) and Worker suites")
    .argument("[filters...]", "only test files matching these (skips the typecheck)")
    .action(async (filters: string[]) => {
      const { seedTest } = await import("../seed-test.ts");
      process.exitCode = await seedTest(filters);
    });

  program
    .command("mutate")
    .description("mutation-test the trust-critical modules with Stryker (or only the files named); not part of `seed test`")
    .argument("[paths...]", "only these of the mutation-tested modules")
    .action(async (paths: string[]) => {
      const { ROOT } = await import("../../workerd-config/build-worker.ts");
      const { seedMutate } = await import("../seed-mutate.ts");
      process.exitCode = seedMutate(paths, ROOT);
    });
}
