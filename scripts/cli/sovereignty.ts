// `seed audit`: the sovereignty report. Everything the seed could use to reach out — the outbound
// capabilities of the running workerd config, stored credentials and their hosts, key files, and
// the live TCP connections of the seed's processes (from /proc) — and whether any of it points at
// something that is not the seed's own. Signed with the seed's Ed25519 key.
import { VERSION } from "../../lib/version.ts";
import { backupFreshness } from "./backup/schedule.ts";
import { lookup } from "node:dns/promises";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { canonicalDetail } from "../../lib/audit/audit-chain.ts";
import { importSigningKey, importVerifyKey, pemBody, signText, verifyText } from "../../lib/audit/ed25519.ts";
import { listCredentials } from "../../lib/credentials.ts";
import { parseOutbound } from "./capnp-outbound.ts";
import { homePaths, type Home } from "./home.ts";
import { readIdentity } from "./identity.ts";
import { isNull } from "drizzle-orm";
import { readRecords } from "../../lib/audit/audit-store.ts";
import { keys } from "../../lib/db/schema.ts";
import { withFileDb } from "./migrate.ts";
import { fingerprint } from "./rotate.ts";
import { classify, isLoopback, processSockets, type Endpoint } from "./proc-net.ts";
import { isAlive, readPid } from "./seed-up.ts";
import { readServices, serviceAddress } from "./services.ts";

export type Binding = { binding: string; service: string; address: string; tls: boolean; owner: "seed" | "owner" | "unknown" };
export type Connection = { process: string; local: string; remote: string; state: string; via: string | null };

export type SovereigntyReport = {
  seedId: string | null;
  /** The seed's version (issue 11). */
  version: string;
  at: string;
  home: string;
  running: boolean;
  egress: { globalOutbound: string | null; closed: boolean; bindings: Binding[] };
  credentials: { name: string; host: string; service: string | null }[];
  connections: { checked: boolean; processes: { name: string; pid: number }[]; listening: string[]; inbound: Connection[]; outbound: Connection[]; loopback: number };
  /** Who can act as root, and the helper keys that never expire (issue 9 item 14). */
  custody: {
    root: "owner" | "installer" | "installer and owner" | "nobody";
    roots: { id: string; name: string; createdAt: number }[];
    neverExpiringHelpers: { id: string; name: string; scopes: string[]; createdAt: number }[];
    /** Secrets an installer could have copied: rotated by `seed handoff`, or unchanged since install. */
    secrets: { file: string; state: "rotated" | "unchanged since install" | "not the rotated one" | "missing"; rotatedAt: string | null }[];
  };
  problems: string[];
  /** No problem found AND everything was checked (the live connections need a running seed). */
  clean: boolean;
  /** clean → exit 0; not clean → exit 1; not checked (no problem in what could be checked) → exit 2. */
  verdict: "clean" | "not clean" | "not checked";
  summary: string;
  /** Backup freshness (issue 11): shown, not part of "clean". */
  backup: { lastAt: string | null; stale: boolean; summary: string };
};

export type SignedReport = SovereigntyReport & { signature: { algorithm: "Ed25519"; seedId: string; publicKey: string; value: string } };

/** The name the owner's root key carries (workers/membrane/handoff-routes.ts). */
const OWNER_ROOT_NAME = "owner";
const OWN_KEY_FILES = new Set(["root.key", "owner.key", "db.token"]);
const ep = (e: Endpoint) => (e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
const hostOf = (address: string) => address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");

function readState(home: Home): { dbUrl?: string } | null {
  return existsSync(home.state) ? (JSON.parse(readFileSync(home.state, "utf8")) as { dbUrl?: string }) : null;
}

/** The seed's own processes that are alive now. */
function liveProcesses(home: Home): { name: string; pid: number }[] {
  return ["seed", "libsql", "workerd"].flatMap((name) => {
    const pid = readPid(home.pid(name));
    return pid !== null && isAlive(pid) ? [{ name, pid }] : [];
  });
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/** `procRoot` is for tests: a stand-in for /proc. */
export async function sovereigntyReport(homeDir: string, opts: { now?: Date; procRoot?: string } = {}): Promise<SignedReport> {
  const now = opts.now ?? new Date();
  const home = homePaths(homeDir);
  const problems: string[] = [];
  const identity = readIdentity(home);
  const processes = liveProcesses(home);
  const running = processes.some((p) => p.name === "workerd");
  const state = readState(home);
  const services = readServices(home.dir);

  // 1. The outbound capabilities of the generated (running) config.
  const bindings: Binding[] = [];
  let globalOutbound: string | null = null;
  let closed = false;
  if (!existsSync(home.config)) {
    problems.push(`no ${home.config}: nothing to audit (start the seed with \`seed up\`)`);
  } else {
    const cfg = parseOutbound(readFileSync(home.config, "utf8"));
    globalOutbound = cfg.globalOutbound;
    const global = cfg.networks.find((n) => n.name === cfg.globalOutbound);
    closed = global !== undefined && global.allow.length === 0;
    if (!closed) problems.push(`egress is open: the Worker's globalOutbound is ${JSON.stringify(cfg.globalOutbound)}, not a network that allows nothing`);
    for (const n of cfg.networks) if (n.allow.length > 0) problems.push(`network service "${n.name}" allows ${n.allow.join(", ")}`);
    for (const u of cfg.unread) problems.push(`the config holds ${u}`);
    for (const e of cfg.envBindings) {
      if (!e.variable.startsWith("SEED_")) problems.push(`binding ${e.binding} reads ${e.variable} from workerd's environment: not one of the seed's own secrets`);
    }
    const ownDb = state?.dbUrl ? new URL(state.dbUrl).host : null;
    for (const ext of cfg.externals) {
      const names = cfg.serviceBindings.filter((b) => b.service === ext.name).map((b) => b.binding);
      const ownerName = Object.keys(services).find((n) => `owner-${n.toLowerCase()}` === ext.name);
      let owner: Binding["owner"] = "unknown";
      if (ext.name.startsWith("svc-")) {
        owner = "seed";
        if (!isLoopback(hostOf(ext.address))) problems.push(`${names.join(", ") || ext.name} points off this box (${ext.address}), not at the seed's own ${ext.name.slice(4)}`);
        else if (ext.name === "svc-seed-libsql" && ownDb && ownDb !== ext.address) problems.push(`LIBSQL points at ${ext.address}, but the seed's own libSQL server is ${ownDb}`);
      } else if (ownerName) {
        const want = serviceAddress(services[ownerName]!);
        if (want.address === ext.address && want.tls === ext.tls) owner = "owner";
        else problems.push(`${ownerName} in the config goes to ${ext.address}, but the owner configured ${services[ownerName]!.url}`);
      } else {
        problems.push(`external service "${ext.name}" (${ext.address}) is not the seed's own and not configured by the owner`);
      }
      for (const binding of names.length ? names : [`(unbound ${ext.name})`]) bindings.push({ binding, service: ext.name, address: ext.address, tls: ext.tls, owner });
    }
  }

  // 2. Credentials: each must belong to a service the owner configured; none is a key to elsewhere.
  const creds = existsSync(home.db) ? await withFileDb(home.db, (db) => listCredentials(db)) : [];
  const credentials = creds.map((c) => {
    const service = Object.entries(services).find(([, s]) => {
      const u = new URL(s.url);
      return c.host === u.host || c.host === u.hostname;
    })?.[0] ?? null;
    if (!service) problems.push(`credential ${c.name} is for ${c.host}, which no configured service reaches: a key to something that is not the seed's`);
    return { name: c.name, host: c.host, service };
  });
  if (existsSync(home.keysDir)) {
    for (const f of readdirSync(home.keysDir)) if (!OWN_KEY_FILES.has(f)) problems.push(`${home.keysDir}/${f} is not one of the seed's own key files`);
  }

  // 3. Live connections of the seed's processes.
  const listening: string[] = [];
  const inbound: Connection[] = [];
  const outbound: Connection[] = [];
  let loopback = 0;
  let allowed: Map<string, string> | null = null; // ip:port → owner service; resolved only if needed
  const explain = async (remote: Endpoint) => {
    if (!allowed) {
      allowed = new Map();
      for (const [name, s] of Object.entries(services)) {
        const { address } = serviceAddress(s);
        const port = address.slice(address.lastIndexOf(":") + 1);
        for (const ip of await resolveAll(hostOf(address))) allowed.set(`${ip}:${port}`, name);
      }
    }
    return allowed.get(`${remote.ip}:${remote.port}`) ?? null;
  };
  for (const p of processes) {
    const c = classify(processSockets(p.pid, opts.procRoot));
    listening.push(...c.listening.map(ep));
    for (const s of c.inbound) {
      if (s.remoteLoopback) loopback++;
      else inbound.push({ process: p.name, local: ep(s.local), remote: ep(s.remote), state: s.state, via: null });
    }
    for (const s of c.outbound) {
      if (s.remoteLoopback) {
        loopback++;
        continue;
      }
      const via = await explain(s.remote);
      outbound.push({ process: p.name, local: ep(s.local), remote: ep(s.remote), state: s.state, via });
      if (!via) problems.push(`${p.name} (pid ${p.pid}) has a connection out to ${ep(s.remote)} that no configured service explains`);
    }
  }

  // 4. Custody: who holds root, helper keys that never expire, secrets unchanged since install.
  const custody = await custodyOf(home, now.getTime(), problems);

  const egress = bindings.filter((b) => b.owner === "owner");
  const unexplained = outbound.filter((o) => !o.via).length;
  const egressText = closed ? (egress.length ? egress.map((b) => `${b.binding} → ${b.address}`).join(", ") : "none") : "OPEN";
  const checked = processes.length > 0;
  const verdict = problems.length > 0 ? "not clean" : checked ? "clean" : "not checked";
  const conns = checked ? `${unexplained} unexplained outbound connections` : "outbound connections not checked (the seed is not running)";
  const summary =
    verdict === "clean"
      ? `clean: ${unexplained} outbound connections, egress: ${egressText}`
      : verdict === "not checked"
        ? `NOT CHECKED: no problem found, but ${conns}; egress: ${egressText}`
        : `NOT clean: ${problems.length} problem${problems.length === 1 ? "" : "s"}; ${conns}, egress: ${egressText}`;
  const report: SovereigntyReport = {
    seedId: identity?.seedId ?? null,
    version: VERSION,
    at: now.toISOString(),
    home: home.dir,
    running,
    egress: { globalOutbound, closed, bindings },
    credentials,
    connections: { checked: processes.length > 0, processes, listening, inbound, outbound, loopback },
    custody,
    problems,
    clean: verdict === "clean",
    verdict,
    summary,
    backup: (({ last, stale, summary: text }) => ({ lastAt: last?.at ?? null, stale, summary: text }))(backupFreshness(home.dir, now.getTime())),
  };
  return signReport(home, report);
}

const ROTATIONS = [
  { file: "keys/db.token", action: "handoff.rotate-db-token", read: (home: Home) => readFileSync(home.dbToken, "utf8").trim(), path: (home: Home) => home.dbToken },
  { file: "master.key", action: "handoff.rotate-master-key", read: (home: Home) => readFileSync(home.masterKey), path: (home: Home) => home.masterKey },
] as const;

async function custodyOf(home: Home, now: number, problems: string[]): Promise<SovereigntyReport["custody"]> {
  const rows = existsSync(home.db) ? await withFileDb(home.db, (db) => db.select().from(keys).where(isNull(keys.revokedAt)).all()) : [];
  const live = rows.filter((r) => r.expiresAt === null || r.expiresAt > now);
  const roots = live.filter((r) => r.kind === "root").map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt }));
  const owner = roots.some((r) => r.name === OWNER_ROOT_NAME);
  const installer = roots.some((r) => r.name !== OWNER_ROOT_NAME);
  const root = installer ? (owner ? "installer and owner" : "installer") : owner ? "owner" : "nobody";
  if (installer) problems.push(`the installer still holds root (${roots.filter((r) => r.name !== OWNER_ROOT_NAME).map((r) => `${r.name} ${r.id}`).join(", ")}): the owner takes it with \`seed handoff\``);
  const neverExpiringHelpers = live.filter((r) => r.kind === "helper" && r.expiresAt === null).map((r) => ({ id: r.id, name: r.name, scopes: r.scopes, createdAt: r.createdAt }));
  for (const h of neverExpiringHelpers) problems.push(`helper key ${h.id} (${h.name}) never expires: revoke it or grant one with --ttl`);
  const secrets: SovereigntyReport["custody"]["secrets"] = [];
  for (const r of ROTATIONS) {
    if (!existsSync(r.path(home))) {
      secrets.push({ file: r.file, state: "missing", rotatedAt: null });
      continue;
    }
    const last = existsSync(home.db) ? (await withFileDb(home.db, (db) => readRecords(db, { action: r.action, limit: 100_000 }))).at(-1) : undefined;
    const want = last?.detail ? (JSON.parse(last.detail) as { fingerprint?: string }).fingerprint : undefined;
    const state = !last ? "unchanged since install" : want === (await fingerprint(r.read(home))) ? "rotated" : "not the rotated one";
    secrets.push({ file: r.file, state, rotatedAt: last ? new Date(last.at).toISOString() : null });
    if (state === "unchanged since install") problems.push(`${r.file} is unchanged since install (the installer may hold a copy): \`seed handoff${r.file === "master.key" ? " --rotate-master-key" : ""}\` replaces it`);
    if (state === "not the rotated one") problems.push(`${r.file} is not the one the last rotation set (${new Date(last!.at).toISOString()}): restored from an older copy?`);
  }
  return { root, roots, neverExpiringHelpers, secrets };
}

async function signReport(home: Home, report: SovereigntyReport): Promise<SignedReport> {
  const identity = readIdentity(home);
  if (!identity || !existsSync(home.identityKey)) throw new Error(`no identity in ${home.identityDir}: run \`seed init\``);
  const key = await importSigningKey(pemBody(readFileSync(home.identityKey, "utf8")));
  const value = await signText(key, canonicalDetail(report)!);
  return { ...report, signature: { algorithm: "Ed25519", seedId: identity.seedId, publicKey: identity.publicKey, value } };
}

/** Checks a report's signature against the public key it names (compare that key with GET /v1/identity). */
export async function verifyReport(signed: SignedReport): Promise<boolean> {
  const { signature, ...report } = signed;
  return verifyText(await importVerifyKey(signature.publicKey), canonicalDetail(report)!, signature.value);
}

export function formatReport(r: SignedReport): string {
  const b = r.egress.bindings.map((x) => `${x.binding} → ${x.address}${x.tls ? " (https)" : ""}: ${x.owner === "seed" ? "the seed's own" : x.owner === "owner" ? "configured by the owner" : "UNKNOWN"}`);
  const c = r.connections;
  const lines = [
    `sovereignty report of ${r.seedId ?? "(no identity)"} (seed ${r.version}) at ${r.at}`,
    `egress:      ${r.egress.closed ? "closed" : "OPEN"} (globalOutbound ${JSON.stringify(r.egress.globalOutbound)})`,
    ...b.map((x, i) => `${i === 0 ? "bindings:    " : "             "}${x}`),
    ...(r.credentials.length ? r.credentials.map((x, i) => `${i === 0 ? "credentials: " : "             "}${x.name} → ${x.host}${x.service ? ` (service ${x.service})` : " (NO SERVICE)"}`) : ["credentials: none"]),
    c.checked
      ? `connections: ${c.processes.map((p) => `${p.name} ${p.pid}`).join(", ")}: ${c.outbound.length} outbound, ${c.inbound.length} inbound from off the box, ${c.loopback} loopback`
      : "connections: not checked (the seed is not running)",
    ...(c.listening.length ? [`listening:   ${[...new Set(c.listening)].join(", ")}`] : []),
    ...c.outbound.map((o) => `  out: ${o.process} ${o.local} → ${o.remote} ${o.state}${o.via ? ` via ${o.via}` : ""}`),
    ...c.inbound.map((o) => `  in:  ${o.process} ${o.local} ← ${o.remote} ${o.state}`),
    `root:        held by ${r.custody.root}${r.custody.roots.length ? ` (${r.custody.roots.map((k) => `${k.name} ${k.id}`).join(", ")})` : ""}`,
    r.custody.neverExpiringHelpers.length
      ? `helpers:     never expiring: ${r.custody.neverExpiringHelpers.map((h) => `${h.id} (${h.name})`).join(", ")}`
      : "helpers:     none that never expires",
    ...r.custody.secrets.map((x, i) => `${i === 0 ? "secrets:     " : "             "}${x.file}: ${x.state}${x.rotatedAt ? ` (rotated ${x.rotatedAt})` : ""}`),
    ...(r.problems.length ? r.problems.map((p, i) => `${i === 0 ? "problems:    " : "             "}${p}`) : ["problems:    none"]),
    `backup:      ${r.backup.summary}`,
    r.summary,
    `signed by ${r.signature.seedId} (Ed25519): ${r.signature.value}`,
  ];
  return lines.join("\n");
}
