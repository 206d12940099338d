// wrangler.toml's [alias] keeps code the Worker never runs out of its bundle (zod's locales, the
// MCP SDK's ajv validator): workerd holds ~14 MiB per MB of bundle it parsed. Its keys are import
// paths as written inside those packages, so they must match exactly those imports — another
// package importing the same relative path would silently get the stub.
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const ROOT = path.resolve(import.meta.dirname, "../..");
const EXPECTED: Record<string, string[]> = {
  "../locales/index.js": ["node_modules/zod/v4/classic/external.js", "node_modules/zod/v4/core/index.js", "node_modules/zod/v4/mini/external.js"],
  "../validation/ajv-provider.js": [
    "node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js",
    "node_modules/@modelcontextprotocol/sdk/dist/esm/server/index.js",
  ],
};

describe("the Worker bundle's aliases", () => {
  it("replace exactly the imports they are meant for, and the stubs are what the bundle holds", async () => {
    const alias = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }).alias ?? {};
    expect(Object.keys(alias).sort()).toEqual(Object.keys(EXPECTED).sort());
    const importers: Record<string, string[]> = {};
    const result = await build({
      entryPoints: [path.join(ROOT, "workers/index.ts")],
      absWorkingDir: ROOT,
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
      external: ["cloudflare:*", "node:*"],
      logLevel: "silent",
      plugins: [
        {
          name: "record-aliased",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              const to = alias[args.path];
              if (to === undefined) return undefined;
              (importers[args.path] ??= []).push(path.relative(ROOT, args.importer));
              return { path: path.resolve(ROOT, to) };
            });
          },
        },
      ],
    });
    for (const list of Object.values(importers)) list.sort();
    expect(importers).toEqual(EXPECTED);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => /node_modules\/(ajv|ajv-formats)\/|zod\/v4\/locales\/(?!en\.js)/.test(f))).toEqual([]);
  });
});
