// The audit ledger's answers as the OpenAPI document describes them (/v1/owner/audit, /v1/audit).
import { z } from "zod";

const ChainHeadBody = z.object({ seq: z.number(), hash: z.string() });

export const AuditRecordBody = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.string(),
  keyId: z.string().nullable(),
  action: z.string(),
  method: z.string().nullable(),
  route: z.string().nullable(),
  scope: z.string().nullable(),
  status: z.number().nullable(),
  /** Canonical JSON text, or null. */
  detail: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export const AuditLogBody = z.object({ rows: z.array(AuditRecordBody), next: z.number().nullable(), head: ChainHeadBody });

export const CheckpointBody = z.object({ seq: z.number(), headHash: z.string(), at: z.number(), reason: z.string(), signature: z.string() });
export const CheckpointsBody = z.object({ checkpoints: z.array(CheckpointBody) });

const Problem = z.object({ seq: z.number(), kind: z.enum(["removed", "altered", "rewritten", "bad_signature"]), message: z.string() });
export const VerifyReportBody = z.object({
  ok: z.boolean(),
  rows: z.number(),
  head: ChainHeadBody,
  checkpoints: z.object({ total: z.number(), verified: z.number(), lastSeq: z.number().nullable() }),
  unattestedRows: z.number(),
  firstBad: Problem.nullable(),
  problems: z.array(Problem),
});
