import { app } from "./app.ts";

export { Bus } from "../durable/bus/bus.ts";
export { Mind } from "../durable/mind/mind.ts";
export { AuditLedger } from "../durable/audit/audit-ledger.ts";
export { Agent } from "../durable/agent/agent.ts";

export default app satisfies ExportedHandler<Env>;
