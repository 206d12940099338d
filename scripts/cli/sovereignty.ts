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
import { withFileDb } from "./migrate.ts";
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
  problems: string[];
  clean: boolean;
  summary: string;
  /** Backup freshness (issue 11): shown, not part of "clean". */
  backup: { lastAt: string | null; stale: boolean; summary: string };
};

export type SignedReport = SovereigntyReport & { signature: { algorithm: "Ed25519"; seedId: string; publicKey: string; value: string } };

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

  const egress = bindings.filter((b) => b.owner === "owner");
  const unexplained = outbound.filter((o) => !o.via).length;
  const egressText = closed ? (egress.length ? egress.map((b) => `${b.binding} → ${b.address}`).join(", ") : "none") : "OPEN";
  const summary =
    problems.length === 0
      ? `clean: ${unexplained} outbound connections, egress: ${egressText}`
      : `NOT clean: ${problems.length} problem${problems.length === 1 ? "" : "s"}; ${unexplained} unexplained outbound connections, egress: ${egressText}`;
  const report: SovereigntyReport = {
    seedId: identity?.seedId ?? null,
    version: VERSION,
    at: now.toISOString(),
    home: home.dir,
    running,
    egress: { globalOutbound, closed, bindings },
    credentials,
    connections: { checked: processes.length > 0, processes, listening, inbound, outbound, loopback },
    problems,
    clean: problems.length === 0,
    summary,
    backup: (({ last, stale, summary: text }) => ({ lastAt: last?.at ?? null, stale, summary: text }))(backupFreshness(home.dir, now.getTime())),
  };
  return signReport(home, report);
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
    ...(r.problems.length ? r.problems.map((p, i) => `${i === 0 ? "problems:    " : "             "}${p}`) : ["problems:    none"]),
    `backup:      ${r.backup.summary}`,
    r.summary,
    `signed by ${r.signature.seedId} (Ed25519): ${r.signature.value}`,
  ];
  return lines.join("\n");
}
