// The CLI's typed client sends every path value as one encoded segment: hono's client (4.13) puts
// `param` values into the path as they are, so `seed memory forget 'x?y'` would have deleted
// memory `x`, and an empty value dropped the segment (another route). A loopback server records
// what arrives.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ok, seedClient } from "../../scripts/cli/api.ts";
import { tempDir } from "../support/seed-home.ts";

let server: Server;
let url: string;
const seen: string[] = [];
const home = path.join(tempDir("cli params "), "home");

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: "memory_not_found", message: "no such memory" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(path.join(home, "keys"), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(home, "keys", "cli.key"), "seed_root_test_key\n", { mode: 0o600 });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it("each path value is one encoded segment: '?', '/', '#', '%' and spaces never reach another route or the query", async () => {
  const client = seedClient({ home, url, keyFile: path.join(home, "keys", "cli.key") });
  for (const id of ["x?y", "a/b", "h#1", "50%", "two words", "..x", "%2e%2e"]) {
    seen.length = 0;
    await expect(ok(client.v1.memory[":id"].$delete({ param: { id } }), { "path.id": "ID" })).rejects.toThrow("404 memory_not_found");
    expect(seen).toEqual([`DELETE /v1/memory/${encodeURIComponent(id)}`]);
  }
});

it("an empty value, '.' and '..' (which URL parsing resolves, even encoded) are refused before anything is sent, naming the argument", async () => {
  const client = seedClient({ home, url, keyFile: path.join(home, "keys", "cli.key") });
  seen.length = 0;
  for (const id of ["", ".", ".."]) {
    await expect(ok(client.v1.memory[":id"].$delete({ param: { id } }), { "path.id": "ID" })).rejects.toThrow('422 invalid_input: ID: must not be empty, "." or ".."');
  }
  expect(seen).toEqual([]);
});
