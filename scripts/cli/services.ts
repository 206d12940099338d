// Outbound services the owner configured explicitly (an LLM endpoint, an embeddings endpoint).
// Each becomes one service binding in the generated workerd config; nothing else leaves the seed.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { writePrivateFile } from "./fs-secure.ts";

/** `credential` names the stored credential the seed sends to this service (never the secret). */
export type OwnerService = { url: string; credential?: string };
export type OwnerServices = Record<string, OwnerService>;

export const SERVICE_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;
const RESERVED = new Set(["LIBSQL", "BUS", "MIND"]);

export function servicesFile(homeDir: string): string {
  return path.join(homeDir, "services.json");
}

export function readServices(homeDir: string): OwnerServices {
  const file = servicesFile(homeDir);
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, "utf8")) as OwnerServices;
}

/** Validates a binding name and URL; returns the normalised URL (the origin, and a base path if it has one, e.g. an MCP endpoint). */
export function checkService(name: string, url: string): string {
  if (!SERVICE_NAME.test(name)) throw new Error(`service name must match ${SERVICE_NAME} (e.g. LLM, EMBEDDINGS)`);
  if (RESERVED.has(name) || name.startsWith("SEED_")) throw new Error(`${name} is reserved by the seed`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("service URL must be http: or https:");
  if (u.username || u.password) throw new Error("put secrets in `seed credentials set`, never in a URL");
  if (u.search || u.hash) throw new Error("a service URL has no query or fragment (put secrets in `seed credentials set`)");
  const base = u.pathname.replace(/\/+$/, "");
  return base === "" ? u.origin : `${u.origin}${base}`;
}

export function setService(homeDir: string, name: string, url: string, credential?: string): OwnerService {
  const services = readServices(homeDir);
  if (credential !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(credential)) throw new Error("credential names are [a-z0-9][a-z0-9._-]{0,63}");
  services[name] = { url: checkService(name, url), ...(credential ? { credential } : {}) };
  writePrivateFile(servicesFile(homeDir), JSON.stringify(services, null, 2) + "\n");
  return services[name]!;
}

export function removeService(homeDir: string, name: string): boolean {
  const services = readServices(homeDir);
  if (!(name in services)) return false;
  delete services[name];
  writePrivateFile(servicesFile(homeDir), JSON.stringify(services, null, 2) + "\n");
  return true;
}

/** host:port and whether TLS, as workerd's external service wants them. */
export function serviceAddress(s: OwnerService): { address: string; tls: boolean } {
  const u = new URL(s.url);
  const tls = u.protocol === "https:";
  return { address: `${u.hostname}:${u.port || (tls ? "443" : "80")}`, tls };
}

/**
 * What the Worker learns about the services (the SEED_SERVICES text binding): each one's URL and
 * the name of its credential. No secret: the Worker decrypts the credential itself when it sends it.
 */
export function servicesDeclaration(services: OwnerServices): string {
  return JSON.stringify(Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { url: v.url, ...(v.credential ? { credential: v.credential } : {}) }])));
}
