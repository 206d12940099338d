// For the bundles of the long-lived Node processes (supervisor, libSQL server): Node's built-ins
// are loaded with `require`, never as ES modules. An ES `import … from "node:http"` builds the
// module's namespace, reading every export — among them http's lazy WebSocket/MessageEvent
// (which load undici) and crypto's webcrypto: 9.4 MiB more RSS (5.4 MiB heap) for a process
// that imports http and crypto, held for its whole life (Node 22.23, measured 2026-12-02).
// The bundle needs a `require` in scope: `REQUIRE_BANNER`.
// `tls` and `https` are loaded on first use only: ws requires them when it loads, for its client,
// which the libSQL server never runs (2.6 MiB RSS, 1.7 MiB of it anonymous, measured A/B).
import { builtinModules } from "node:module";
import type { Plugin } from "esbuild";

export const REQUIRE_BANNER = 'import { createRequire as __seedCreateRequire } from "node:module"; const require = __seedCreateRequire(import.meta.url);';

const BUILTIN = new RegExp(`^(node:.+|${builtinModules.map((m) => m.replace(/[/]/g, "\\/")).join("|")})$`);
const NS = "node-builtin-require";
const DEFERRED = /^(node:)?(tls|https)$/;
const DEFERRED_NS = "node-builtin-deferred";

export const builtinsByRequire: Plugin = {
  name: "node-builtins-by-require",
  setup(b) {
    b.onResolve({ filter: DEFERRED }, (args) =>
      args.kind === "require-call" && args.namespace !== DEFERRED_NS ? { path: args.path, namespace: DEFERRED_NS } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: DEFERRED_NS }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => require(${JSON.stringify(args.path)})[key] });`,
      loader: "js",
    }));
    b.onResolve({ filter: BUILTIN }, (args) =>
      args.namespace === NS || args.kind !== "import-statement" ? { path: args.path, external: true } : { path: args.path, namespace: NS },
    );
    b.onLoad({ filter: /.*/, namespace: NS }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};
