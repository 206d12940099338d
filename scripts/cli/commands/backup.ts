// Backups: take, verify, restore, schedule; the key pair that seals them.
import type { Command } from "commander";
import { homeOption, log } from "../cli-common.ts";
import { resolveHome } from "../home.ts";

type SealFlags = { recipient?: string[]; recipientFile?: string; passphraseFile?: string };
type OpenFlags = { identity?: string[]; passphraseFile?: string };

const collect = (v: string, all: string[] = []) => [...all, v];

async function passphrase(file?: string): Promise<string | null> {
  const { readFileSync } = await import("node:fs");
  const p = file ? readFileSync(file, "utf8").replace(/\r?\n$/, "") : process.env.SEED_BACKUP_PASSPHRASE ?? null;
  if (p !== null && p.length < 12) throw new Error("the backup passphrase must have at least 12 characters");
  return p;
}

async function sealing(homeDir: string, o: SealFlags) {
  const { readFileSync } = await import("node:fs");
  const { checkRecipient, readSchedule } = await import("../backup/seed-backup.ts");
  const recipients = [...(o.recipient ?? [])];
  if (o.recipientFile) recipients.push(...(readFileSync(o.recipientFile, "utf8").match(/age1[0-9a-z]{58}/g) ?? []));
  if (recipients.length > 0) return { recipients: recipients.map(checkRecipient) };
  const p = await passphrase(o.passphraseFile);
  if (p !== null) return { passphrase: p };
  const s = readSchedule(homeDir);
  if (s) return { recipients: s.recipients };
  throw new Error("a backup holds the seed's keys, so it is encrypted: pass --recipient age1… (see `seed backup keygen`), --passphrase-file FILE, or set SEED_BACKUP_PASSPHRASE");
}

async function opening(o: OpenFlags) {
  const { readIdentityFile } = await import("../backup/seed-backup.ts");
  if (o.identity?.length) return { identities: o.identity.flatMap(readIdentityFile) };
  const p = await passphrase(o.passphraseFile);
  if (p !== null) return { passphrase: p };
  throw new Error("pass --identity FILE (the key from `seed backup keygen`), --passphrase-file FILE, or set SEED_BACKUP_PASSPHRASE");
}

const seal = (c: Command) =>
  c
    .option("--recipient <age1…>", "encrypt to this public key (repeatable)", collect)
    .option("--recipient-file <file>", "encrypt to the public keys (age1…) in this file")
    .option("--passphrase-file <file>", "encrypt with the passphrase in this file (or env SEED_BACKUP_PASSPHRASE), through scrypt");
const open = (c: Command) =>
  c
    .option("--identity <file>", "the private key from `seed backup keygen` (repeatable)", collect)
    .option("--passphrase-file <file>", "the passphrase (or env SEED_BACKUP_PASSPHRASE)");

export function registerBackup(program: Command): void {
  seal(
    program
      .command("upgrade")
      .description("from a newer checkout: back up, stop, migrate, start the new version and wait until ready; roll back to the backup if anything fails")
      .addOption(homeOption())
      .option("--port <n>", "HTTP port for the new version's start (default: the seed's, or SEED_PORT / 8787)")
      .option("--db-port <n>", "libSQL port for it (default SEED_DB_PORT / 8788)")
      .option("--listen <addr>", "listen address for it (default SEED_LISTEN / 127.0.0.1)")
      .option("--dry-run", "list what would run; change nothing")
      .option("--json", "print the report as JSON"),
  ).action(async (o: SealFlags & { home?: string; port?: string; dbPort?: string; listen?: string; dryRun?: boolean; json?: boolean }) => {
    const { seedUpgrade } = await import("../upgrade/seed-upgrade.ts");
    const { resolvePorts } = await import("../home.ts");
    const home = resolveHome(o.home);
    const given = o.recipient?.length || o.recipientFile || o.passphraseFile || process.env.SEED_BACKUP_PASSPHRASE;
    const r = await seedUpgrade({ home, ports: resolvePorts(o), dryRun: o.dryRun ?? false, sealing: given ? await sealing(home, o) : undefined });
    if (o.json) log(JSON.stringify(r, null, 2));
    else {
      log(`${r.dryRun ? "dry run: nothing was changed. seed upgrade would" : r.ok ? "upgraded" : "upgrade FAILED and was rolled back"} (${r.from ?? "an earlier version"} → ${r.to}, ${home}):`);
      for (const s of r.steps) log(`  - ${s}`);
      if (r.error) log(`error: ${r.error}`);
      if (r.ok && !r.dryRun) log(`start it with \`seed up --home ${home}\` from this checkout`);
    }
    if (!r.ok) process.exitCode = 1;
  });


  const backup = seal(
    program
      .command("backup")
      .description("back up the whole organism while it serves (databases, Durable Objects, identity, keys, config), encrypted")
      .addOption(homeOption())
      .option("--out <file>", "where (default SEED_HOME/backups/seed-<id>-<time>.age; never overwritten)")
      .option("--scheduled", "what the schedule runs: back up only when due, then keep the newest N")
      .option("--json", "print the result as JSON")
      // its options before a subcommand only: `seed backup keygen --out` is keygen's --out
      .enablePositionalOptions(),
  ).action(async (o: SealFlags & { home?: string; out?: string; scheduled?: boolean; json?: boolean }) => {
    const b = await import("../backup/seed-backup.ts");
    const home = resolveHome(o.home);
    const r = o.scheduled ? await b.runScheduled(home) : await b.createBackup(home, await sealing(home, o), o.out);
    if (o.json) return log(JSON.stringify(r ?? { skipped: "not due" }));
    log(r ? `backed up ${r.seedId} to ${r.file} (${(r.bytes / 1024).toFixed(1)} KiB, ${r.ms} ms)` : "no backup due");
  });

  open(backup.command("verify").description("open a backup and check every file, database and the audit chain").argument("<file>").addOption(homeOption()).option("--json", "print the report as JSON"))
    .action(async (file: string, o: OpenFlags & { home?: string; json?: boolean }) => {
      const b = await import("../backup/seed-backup.ts");
      const os = await import("node:os");
      const r = await b.verifyBackup(file, await opening(o), o.home ? resolveHome(o.home) : os.tmpdir());
      if (o.json) log(JSON.stringify(r, null, 2));
      else log(r.ok ? `${file}: ok — ${r.seedId}, seed ${r.seedVersion}, taken ${r.createdAt}, ${r.files} files, ${(r.bytes / 1024).toFixed(1)} KiB` : `${file}: NOT ok — ${r.problems.join("; ")}`);
      if (!r.ok) process.exitCode = 1;
    });

  backup
    .command("keygen")
    .description("make the key pair that seals backups: the private key into FILE (0600; keep it OFF this server), the public key printed")
    .requiredOption("--out <file>", "where the private key goes (never overwritten)")
    .action(async (o: { out: string }) => {
      const { backupKeygen } = await import("../backup/seed-backup.ts");
      const r = await backupKeygen(o.out);
      log(`private key: ${o.out} (copy it somewhere safe, off this server; without it no backup opens)\npublic key:  ${r}`);
    });

  backup
    .command("schedule")
    .description("scheduled backups (run by `seed up`, or the seed-backup timer under systemd) with retention")
    .argument("<every>", "hourly, daily, weekly, or off")
    .addOption(homeOption())
    .option("--keep <n>", "how many backups to keep", "7")
    .option("--dir <dir>", "where they go (default SEED_HOME/backups; copy them off the box)")
    .option("--recipient <age1…>", "the public key that seals them (repeatable; required: nobody types a passphrase at 3 am)", collect)
    .action(async (every: string, o: { home?: string; keep: string; dir?: string; recipient?: string[] }) => {
      const b = await import("../backup/seed-backup.ts");
      const path = await import("node:path");
      const home = resolveHome(o.home);
      if (every === "off") {
        b.setSchedule(home, null);
        return log("scheduled backups: off");
      }
      if (!["hourly", "daily", "weekly"].includes(every)) throw new Error("<every> is hourly, daily, weekly or off");
      const keep = Number(o.keep);
      if (!Number.isInteger(keep) || keep < 1 || keep > 1000) throw new Error("--keep must be an integer 1..1000");
      if (!o.recipient?.length) throw new Error("--recipient age1… is required (see `seed backup keygen`)");
      const s = { every: every as "daily", keep, dir: path.resolve(o.dir ?? b.backupDir(home)), recipients: o.recipient.map(b.checkRecipient) };
      b.setSchedule(home, s);
      log(`scheduled backups: ${s.every}, keep ${s.keep}, into ${s.dir} (a running \`seed up\` picks this up at its next start)`);
    });

  open(
    program
      .command("restore")
      .description("bring a backup back as a new SEED_HOME: the same identity, keys, memory, bus, work and audit ledger")
      .argument("<file>")
      .requiredOption("--home <dir>", "the new organism's folder (must not hold a seed)")
      .option("--json", "print the report as JSON"),
  ).action(async (file: string, o: OpenFlags & { home: string; json?: boolean }) => {
    const b = await import("../backup/seed-backup.ts");
    const r = await b.restoreBackup(file, resolveHome(o.home), await opening(o));
    if (o.json) return log(JSON.stringify(r, null, 2));
    log(`restored ${r.seedId} (taken ${r.createdAt}, seed ${r.seedVersion}) into ${resolveHome(o.home)}: start it with \`seed up --home ${resolveHome(o.home)}\``);
  });
}
