// Every route that reads a body, taken from the OpenAPI document (so a new route is covered
// without editing this file): a chunked upload without Content-Length is stopped at the route's
// limit while it streams (issue 9 item 3: bodies were read whole, then 413), and JSON nested
// thousands deep is a 4xx, never a 500 (item 8).
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app.ts";
import type { Access } from "../../workers/http/openapi-doc.ts";
import { grantHelper } from "../support/membrane.ts";
import { asRoot, bindings, newAgent } from "../support/worker-fetch.ts";

type Op = { requestBody?: unknown; "x-seed-access"?: Access };
const CHUNK = 64 * 1024;
const TOTAL = 64 * 1024 * 1024;

/** A body that hands out 64 KiB chunks on demand (no Content-Length) and counts what was taken. */
function countingStream() {
  const seen = { bytes: 0 };
  const chunk = new Uint8Array(CHUNK).fill(0x20); // spaces: valid JSON whitespace, never complete
  const stream = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (seen.bytes >= TOTAL) return ctl.close();
      seen.bytes += CHUNK;
      ctl.enqueue(chunk);
    },
  });
  return { stream, seen };
}

async function bodyRoutes() {
  const doc = (await (await asRoot("GET", "/v1/openapi.json")).json()) as { paths: Record<string, Record<string, Op>> };
  const agent = await newAgent("bodies");
  const out: { method: string; path: string; key: string | null }[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!op.requestBody && !path.startsWith("/v1/hooks/")) continue; // webhooks read raw bytes (no schema)
      const access = op["x-seed-access"];
      let key: string | null = null;
      if (access && "keys" in access) {
        if (access.keys.includes("root")) key = bindings.TEST_ROOT_KEY;
        else if (access.keys.includes("agent")) key = agent.token;
        else key = (await grantHelper([access.helperScope ?? "status:read"])).token;
      }
      out.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "x1"), key });
    }
  }
  return out;
}

const send = (method: string, path: string, key: string | null, body: BodyInit, type = "application/json") => {
  const headers: Record<string, string> = { "Content-Type": type };
  if (key) headers.Authorization = `Bearer ${key}`;
  return app.fetch(new Request(`http://seed.test${path}`, { method, headers, body, duplex: "half" } as RequestInit), bindings, createExecutionContext());
};

describe("request bodies on every route that reads one", () => {
  it("a chunked upload without Content-Length is refused 413 at the route's limit, not after the whole body", async () => {
    const routes = await bodyRoutes();
    expect(routes.map((r) => r.path), JSON.stringify(routes.map((r) => r.path))).toEqual(expect.arrayContaining(["/v1/hooks/x1", "/v1/work", "/v1/bus/topics/x1/messages"]));
    for (const r of routes) {
      const { stream, seen } = countingStream();
      const res = await send(r.method, r.path, r.key, stream);
      expect(res.status, `${r.method} ${r.path}`).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
      // The largest limit is the bus batch's 32 MiB; the body offered is 64 MiB and was not all read.
      expect(seen.bytes, `${r.method} ${r.path} read ${seen.bytes} bytes`).toBeLessThanOrEqual(32 * 1024 * 1024 + 2 * CHUNK);
      if (r.path === "/v1/hooks/x1" || r.path === "/v1/work") expect(seen.bytes, r.path).toBeLessThanOrEqual(1024 * 1024 + 2 * CHUNK);
    }
  }, 120_000);

  it("JSON nested 5,000 deep is a 4xx on every JSON route (422 json_too_deep), never a 500", async () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    for (const r of await bodyRoutes()) {
      const res = await send(r.method, r.path, r.key, r.path.startsWith("/v1/hooks/") ? deep : JSON.stringify({ title: "t", capability: "c", payload: JSON.parse("[".repeat(60) + "]".repeat(60)) }).replace('"payload":', `"deep":${deep},"payload":`));
      expect(res.status, `${r.method} ${r.path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code, `${r.method} ${r.path}`).toBe("json_too_deep");
    }
    // the reported cases: a work payload 1,900 deep, a bus body 5,000 deep
    const agent = await newAgent("deep");
    const work = await send("POST", "/v1/work", bindings.TEST_ROOT_KEY, `{"title":"t","capability":"c","payload":${"[".repeat(1900)}${"]".repeat(1900)}}`);
    expect(work.status).toBe(422);
    const bus = await send("POST", "/v1/bus/topics/deep/messages", agent.token, `{"body":${deep}}`);
    expect(bus.status).toBe(422);
  });
});
