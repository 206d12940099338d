// Reading the audit ledger over HTTP (workers/audit).
import { z } from "zod";

export const AuditLogQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  keyId: z.string().regex(/^[a-z0-9]{16}$/, "a key id").optional(),
  action: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/, "an action name").optional(),
});
