// Is a TCP port free? `seed up` asks before it starts anything, so a port taken by another seed
// (or anything else) fails at once with a clear message instead of a restart loop.
import net from "node:net";

export async function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Who answers on an HTTP address as a seed: its id, or null when it is not a seed. */
export async function seedAt(url: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/v1/identity`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { seedId?: unknown };
    return typeof body.seedId === "string" ? body.seedId : null;
  } catch {
    return null;
  }
}

export async function assertPortsFree(wanted: { what: string; host: string; port: number }[]): Promise<void> {
  for (const w of wanted) {
    if (w.port === 0 || (await portIsFree(w.host, w.port))) continue;
    const host = w.host === "0.0.0.0" || w.host === "::" ? "127.0.0.1" : w.host;
    const other = await seedAt(`http://${host.includes(":") ? `[${host}]` : host}:${w.port}`);
    throw new Error(
      `${w.what} port ${w.port} on ${w.host} is already in use${other ? ` by another seed (${other})` : ""}: ` +
        `stop it, or choose another port (--port / --db-port, env SEED_PORT / SEED_DB_PORT)`,
    );
  }
}
