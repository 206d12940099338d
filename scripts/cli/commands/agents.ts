// `seed agents`: the owner registers, lists and removes agents (over the running seed's API).
import type { Command } from "commander";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";

export function registerAgents(program: Command): void {
  const agentsCmd = program.command("agents").description("register, list and remove the seed's agents");
  apiOptions(agentsCmd.command("add").description("register an agent; prints its token once").argument("<name>", "the agent's name"))
    .option("--capability <cap...>", "what the agent can do (repeatable)", [])
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: ApiFlags & { capability: string[] }) => {
      const { api } = await import("../api.ts");
      const r = await api<{ id: string; name: string; capabilities: string[]; token: string }>(target(opts), "POST", "/v1/owner/agents", { name, capabilities: opts.capability });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      log(`agent ${r.name} registered: id ${r.id}, capabilities ${r.capabilities.join(", ") || "(none)"}`);
      log(`token (shown once; give it to the agent):\n${r.token}`);
    });
  apiOptions(agentsCmd.command("list").description("list the registered agents"))
    .option("--json", "print the list as JSON")
    .action(async (opts: ApiFlags) => {
      const { api } = await import("../api.ts");
      const r = await api<{ agents: { id: string; name: string; capabilities: string[]; createdAt: number }[] }>(target(opts), "GET", "/v1/owner/agents");
      if (opts.json) return log(JSON.stringify(r.agents, null, 2));
      if (r.agents.length === 0) return log("no agents");
      for (const a of r.agents) log(`${a.id}  ${a.name.padEnd(24)} ${a.capabilities.join(",")}  since ${new Date(a.createdAt).toISOString()}`);
    });
  apiOptions(agentsCmd.command("remove").description("remove an agent and revoke its token at once").argument("<id>", "the agent's id"))
    .action(async (id: string, opts: ApiFlags) => {
      const { api } = await import("../api.ts");
      await api(target(opts), "DELETE", `/v1/owner/agents/${encodeURIComponent(id)}`);
      log(`agent ${id} removed; its token is revoked`);
    });
}
