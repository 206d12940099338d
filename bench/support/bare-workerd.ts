// A bare workerd beside the seed: one Worker that answers "ok" on its own port — the runtime's own
// floor for a request on this machine, measured in the same run as what it is compared with.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { WORKERD_BIN } from "../../scripts/cli/workerd-bin.ts";
import { freePort } from "../../test/support/seed-home.ts";

/** A bare workerd: one Worker that answers "ok", on its own port. */
export async function startBare(dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  writeFileSync(path.join(dir, "w.js"), `export default { fetch() { return new Response("ok"); } };\n`);
  writeFileSync(
    path.join(dir, "bare.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const w :Workerd.Worker = (modules = [(name = "w.js", esModule = embed "w.js")], compatibilityDate = "2026-11-01");
`,
  );
  const child = spawn(WORKERD_BIN, ["serve", path.join(dir, "bare.capnp")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { url, stop: () => child.kill("SIGTERM") };
}

