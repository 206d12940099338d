// The seed as a service on a VPS: install, uninstall.
import type { Command } from "commander";
import { log } from "../cli-common.ts";
import { resolvePorts } from "../home.ts";

type InstallFlags = {
  home: string; user: string; port?: string; dbPort?: string; listen?: string; prefix: string; unitDir: string; binDir: string;
  publicHost?: string; caddyfile: string; memoryMax: string; libsqlMemoryMax: string; dryRun?: boolean; json?: boolean;
};

export function registerInstall(program: Command): void {
  program
    .command("install")
    .description("install the seed as systemd services: a dedicated user, the runtime under --prefix, SEED_HOME, two hardened units (root)")
    .option("--home <dir>", "the organism's folder", "/var/lib/seed")
    .option("--user <name>", "the dedicated system user", "seed")
    .option("--port <n>", "HTTP port of the Worker (default 8787)")
    .option("--db-port <n>", "port of the libSQL server (default 8788)")
    .option("--listen <addr>", "address the Worker listens on (default 127.0.0.1; keep it behind the reverse proxy)")
    .option("--prefix <dir>", "where the runtime (Node, packages, sources) is installed", "/opt/seed")
    .option("--unit-dir <dir>", "where the systemd units are written", "/etc/systemd/system")
    .option("--bin-dir <dir>", "where the `seed` command is installed", "/usr/local/bin")
    .option("--public-host <name>", "write a Caddy configuration that faces the internet as NAME (webhooks and the membrane only)")
    .option("--caddyfile <file>", "where the Caddy configuration goes", "/etc/caddy/Caddyfile")
    .option("--memory-max <size>", "memory ceiling of workerd (systemd MemoryMax=)", "512M")
    .option("--libsql-memory-max <size>", "memory ceiling of the libSQL server", "256M")
    .option("--dry-run", "print what would be written and done; change nothing")
    .option("--json", "print the report as JSON")
    .action(async (o: InstallFlags) => {
      const { seedInstall } = await import("../install/seed-install.ts");
      const path = await import("node:path");
      const size = /^\d+[KMG]?$/;
      if (!size.test(o.memoryMax) || !size.test(o.libsqlMemoryMax)) throw new Error("--memory-max and --libsql-memory-max take sizes such as 512M or 1G");
      const report = await seedInstall({
        home: path.resolve(o.home), user: o.user, ports: resolvePorts({ port: o.port, dbPort: o.dbPort, listen: o.listen }),
        prefix: path.resolve(o.prefix), unitDir: path.resolve(o.unitDir), binDir: path.resolve(o.binDir),
        publicHost: o.publicHost, caddyfile: path.resolve(o.caddyfile), memoryMaxWorkerd: o.memoryMax, memoryMaxLibsql: o.libsqlMemoryMax,
        dryRun: o.dryRun ?? false,
      });
      if (o.json) return log(JSON.stringify(report, null, 2));
      log(report.dryRun ? "dry run: nothing was changed. seed install would:" : `installed ${report.seedId} at ${report.home} (user ${report.user}):`);
      for (const a of report.actions) log(`  - ${a}`);
      for (const f of report.files) {
        log(`\n${report.dryRun ? "would write" : "wrote"} ${f.path} (${f.mode})`);
        if (report.dryRun && f.text) log(f.text.trimEnd().replace(/^/gm, "    "));
      }
      for (const n of report.notes) log(`\nnote: ${n}`);
    });

  program
    .command("uninstall")
    .description("remove the units, the `seed` command, the runtime and the user of an installed seed; never its data (root)")
    .option("--home <dir>", "the organism's folder", "/var/lib/seed")
    .option("--dry-run", "print what would be removed")
    .option("--json", "print the report as JSON")
    .action(async (o: { home?: string; dryRun?: boolean; json?: boolean }) => {
      const { seedUninstall } = await import("../install/seed-install.ts");
      const path = await import("node:path");
      const r = seedUninstall(path.resolve(o.home ?? "/var/lib/seed"), { dryRun: o.dryRun ?? false });
      if (o.json) return log(JSON.stringify(r, null, 2));
      log(`${o.dryRun ? "would remove" : "removed"}: ${r.removed.join(", ") || "nothing"}`);
      log(`kept (the organism's data): ${r.kept.join(", ")}`);
      for (const n of r.notes) log(`note: ${n}`);
    });
}
