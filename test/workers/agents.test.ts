import { describe, expect, it } from "vitest";
import { listDurableObjectIds } from "cloudflare:test";
import { createHash } from "node:crypto";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { asRoot, bindings, call, expectError } from "../support/worker-fetch.ts";

type Agent = { id: string; name: string; capabilities: string[]; token: string };

async function addAgent(name: string, capabilities: string[] = []): Promise<Agent> {
  const res = await asRoot("POST", "/v1/owner/agents", { name, capabilities });
  expect(res.status).toBe(201);
  return (await res.json()) as Agent;
}

describe("agent registry", () => {
  it("registers an agent whose token works once and is never listed", async () => {
    const a = await addAgent("invoicer", ["invoices", "email"]);
    expect(a.token).toMatch(new RegExp(`^seed_agent_${a.id}_[a-f0-9]{64}$`));
    const who = await call("GET", "/v1/bus/whoami", { key: a.token });
    expect(who.status).toBe(200);
    expect(await who.json()).toEqual({ id: a.id, name: "invoicer", capabilities: ["invoices", "email"] });
    const list = (await (await asRoot("GET", "/v1/owner/agents")).json()) as { agents: Record<string, unknown>[] };
    const listed = list.agents.find((x) => x.id === a.id)!;
    expect(listed).toMatchObject({ id: a.id, name: "invoicer", capabilities: ["invoices", "email"] });
    expect(JSON.stringify(list)).not.toContain(a.token.split("_")[3]);
  });

  it("removing an agent revokes its token on the very next request", async () => {
    const a = await addAgent("temp");
    expect((await call("GET", "/v1/bus/whoami", { key: a.token })).status).toBe(200);
    const del = await asRoot("DELETE", `/v1/owner/agents/${a.id}`);
    expect(del.status).toBe(200);
    await expectError(await call("GET", "/v1/bus/whoami", { key: a.token }), 401);
    const list = (await (await asRoot("GET", "/v1/owner/agents")).json()) as { agents: { id: string }[] };
    expect(list.agents.map((x) => x.id)).not.toContain(a.id);
    await expectError(await asRoot("DELETE", `/v1/owner/agents/${a.id}`), 404, "agent_not_found");
  });

  it("a live name cannot be registered twice (409), a removed one can", async () => {
    const a = await addAgent("twin");
    await expectError(await asRoot("POST", "/v1/owner/agents", { name: "twin" }), 409, "agent_exists");
    await asRoot("DELETE", `/v1/owner/agents/${a.id}`);
    expect((await addAgent("twin")).id).not.toBe(a.id);
  });

  it("rejects bad input with clear errors", async () => {
    const key = { key: bindings.TEST_ROOT_KEY };
    await expectError(await call("POST", "/v1/owner/agents", { ...key, raw: "{nope" }), 400, "invalid_json");
    await expectError(await asRoot("POST", "/v1/owner/agents", { name: "" }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/owner/agents", { name: "ok", capabilities: ["Bad Cap"] }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/owner/agents", [1, 2]), 422, "invalid_input");
    await expectError(await call("POST", "/v1/owner/agents", { ...key, raw: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }) }), 413);
  });

  it("agents cannot reach owner routes, and the root key is not an agent", async () => {
    const a = await addAgent("curious");
    await expectError(await call("GET", "/v1/owner/agents", { key: a.token }), 403);
    await expectError(await call("POST", "/v1/owner/agents", { key: a.token, body: { name: "evil" } }), 403);
    await expectError(await asRoot("GET", "/v1/bus/whoami"), 403);
  });

  it("adding, changing and removing a seed's own agent is audited: what changed and the instructions' sha256, never their text", async () => {
    const before = ((await (await asRoot("GET", "/v1/owner/audit?limit=1")).json()) as { head: { seq: number } }).head.seq;
    const secretInstructions = `Only you know the launch date: ${crypto.randomUUID()}`;
    const added = await asRoot("POST", "/v1/owner/agents", { name: "audited-own", capabilities: ["audit-cap"], model: "m1", instructions: secretInstructions, tools: ["work"] });
    expect(added.status).toBe(201);
    const a = (await added.json()) as { id: string };
    const changed = `${secretInstructions} (changed)`;
    expect((await asRoot("PATCH", `/v1/owner/agents/${a.id}`, { instructions: changed, maxSteps: 7 })).status).toBe(200);
    expect((await asRoot("DELETE", `/v1/owner/agents/${a.id}`)).status).toBe(200);

    const rows = ((await (await asRoot("GET", `/v1/owner/audit?after=${before}&limit=1000`)).json()) as { rows: AuditRecord[] }).rows;
    const mine = rows.filter((r) => r.action.startsWith("agent.") && r.detail && (JSON.parse(r.detail) as { id?: string }).id === a.id);
    expect(mine.map((r) => [r.action, r.actor, r.method])).toEqual([
      ["agent.add", "root", "POST"],
      ["agent.update", "root", "PATCH"],
      ["agent.remove", "root", "DELETE"],
    ]);
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    const [add, update, remove] = mine.map((r) => JSON.parse(r.detail!) as Record<string, unknown>);
    expect(add!.spec).toMatchObject({ model: "m1", instructions: { sha256: sha(secretInstructions) } });
    expect(update).toMatchObject({ changed: ["instructions", "maxSteps"], spec: { maxSteps: 7, instructions: { sha256: sha(changed) } } });
    expect(remove).toMatchObject({ name: "audited-own", kind: "own", released: 0 });
    expect(JSON.stringify(mine)).not.toContain("launch date");
  });

  it("defining one of the seed's own agents starts nothing in workerd: its object first wakes when work arrives", async () => {
    // A woken object stays in workerd's table (and its 70-s sweeps) long after: 100 definitions
    // kept a resting workerd busy every 70 s.
    const res = await asRoot("POST", "/v1/owner/agents", { name: "sleeper", capabilities: ["sleeper-cap"], model: "m", instructions: "Sleep." });
    expect(res.status).toBe(201);
    const a = (await res.json()) as { id: string; kind: string };
    expect(a.kind).toBe("own");
    const started = (await listDurableObjectIds(bindings.AGENT)).map((id) => id.toString());
    expect(started).not.toContain(bindings.AGENT.idFromName(a.id).toString());
  });
});
