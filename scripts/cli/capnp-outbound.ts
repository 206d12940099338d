// Reads the outbound capabilities out of a generated workerd config (run/config.capnp): where
// the Worker's global outbound goes, every network and external service, and which binding
// reaches which service. Anything outbound-looking it cannot read is reported, never ignored.

export type ConfigOutbound = {
  globalOutbound: string | null;
  networks: { name: string; allow: string[] }[];
  externals: { name: string; address: string; tls: boolean }[];
  /** Worker bindings to services: binding name → service name. */
  serviceBindings: { binding: string; service: string }[];
  /** Worker bindings filled from workerd's environment. */
  envBindings: { binding: string; variable: string }[];
  /** Outbound declarations in a shape this reader does not know (each one is a finding). */
  unread: string[];
};

const EXTERNAL = /\(name = "([^"]+)", external = \(address = "([^"]+)", (http|https) = \(\)\)\)/g;
const NETWORK = /\(name = "([^"]+)", network = \(allow = \[([^\]]*)\]\)\)/g;
const SERVICE_BINDING = /\(name = "([^"]+)", service = "([^"]+)"\)/g;
const ENV_BINDING = /\(name = "([^"]+)", fromEnvironment = "([^"]+)"\)/g;
const GLOBAL_OUTBOUND = /globalOutbound = "([^"]+)"/g;

function count(text: string, token: RegExp): number {
  return (text.match(token) ?? []).length;
}

export function parseOutbound(text: string): ConfigOutbound {
  const networks = [...text.matchAll(NETWORK)].map((m) => ({ name: m[1]!, allow: [...m[2]!.matchAll(/"([^"]*)"/g)].map((a) => a[1]!) }));
  const externals = [...text.matchAll(EXTERNAL)].map((m) => ({ name: m[1]!, address: m[2]!, tls: m[3] === "https" }));
  const serviceBindings = [...text.matchAll(SERVICE_BINDING)].map((m) => ({ binding: m[1]!, service: m[2]! }));
  const envBindings = [...text.matchAll(ENV_BINDING)].map((m) => ({ binding: m[1]!, variable: m[2]! }));
  const globals = [...text.matchAll(GLOBAL_OUTBOUND)].map((m) => m[1]!);
  const unread: string[] = [];
  if (count(text, /\bnetwork\s*=/g) !== networks.length) unread.push("a network service this audit cannot read");
  if (count(text, /\bexternal\s*=/g) !== externals.length) unread.push("an external service this audit cannot read");
  if (count(text, /\bglobalOutbound\s*=/g) !== globals.length || globals.length > 1) unread.push("a globalOutbound this audit cannot read");
  return { globalOutbound: globals[0] ?? null, networks, externals, serviceBindings, envBindings, unread };
}
