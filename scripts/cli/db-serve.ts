// `seed db serve`: the libSQL server alone, in the foreground.
import { readFileSync } from "node:fs";
import { startDbServer } from "../db-server/db-server.ts";
import { homePaths } from "./home.ts";

export async function dbServe(dir: string, listen: string, port: number, log: (line: string) => void): Promise<void> {
  const home = homePaths(dir);
  let token: string;
  try {
    token = readFileSync(home.dbToken, "utf8").trim();
  } catch {
    throw new Error(`no database token at ${home.dbToken}: run \`seed init\` first`);
  }
  const server = await startDbServer({ dbPath: home.db, token, listen, port, log });
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  // A rotated keys/db.token replaces the old one at once (as the bundled server does on SIGHUP).
  process.on("SIGHUP", () => server.setToken(readFileSync(home.dbToken, "utf8").trim()));
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
