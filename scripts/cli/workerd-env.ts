// The secrets workerd needs, as environment variables (the config only names them:
// `fromEnvironment` bindings). `seed up` passes them to its child; under systemd `seed install`
// writes them to run/workerd.env (0600) for the unit's EnvironmentFile. Never in a process
// argument, a log line or the config file.
import { readFileSync } from "node:fs";
import { pemBody } from "../../lib/audit/ed25519.ts";
import type { Home } from "./home.ts";

export function workerdSecretEnv(home: Home): Record<"SEED_DB_TOKEN" | "SEED_MASTER_KEY" | "SEED_IDENTITY_KEY", string> {
  return {
    SEED_DB_TOKEN: readFileSync(home.dbToken, "utf8").trim(),
    SEED_MASTER_KEY: readFileSync(home.masterKey).toString("hex"),
    // The identity private key (PKCS8 DER, base64): the Worker signs audit checkpoints with it.
    SEED_IDENTITY_KEY: pemBody(readFileSync(home.identityKey, "utf8")),
  };
}
