// The seed's version: one source, package.json. The CLI (`seed --version`, status, the report)
// and the Worker (/healthz, bundled by wrangler) read it from here.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
