// Which embedder made the vectors, as recorded in memory_settings. Shared by the Worker (which
// embeds), the CLI (which sets it) and export files (which carry it so an import can check it).
import { z } from "zod";
import { CREDENTIAL_NAME } from "../credentials.ts";
import { OFFLINE_DEFAULT_DIMENSION, OFFLINE_MODEL } from "./offline-embedder.ts";

export const MIN_DIMENSION = 8;
export const MAX_DIMENSION = 4096;

const dimension = z.number().int().min(MIN_DIMENSION).max(MAX_DIMENSION);

export const OfflineEmbedderConfig = z.object({
  kind: z.literal("offline"),
  model: z.literal(OFFLINE_MODEL).default(OFFLINE_MODEL),
  dimension: dimension.default(OFFLINE_DEFAULT_DIMENSION),
});

export const OpenAiEmbedderConfig = z.object({
  kind: z.literal("openai"),
  /** The model name sent in the request, e.g. text-embedding-3-small or nomic-embed-text. */
  model: z.string().min(1).max(200),
  dimension,
  /** Name of the credential (`seed credentials set`) sent as the Bearer token; its host is the request's host. */
  credential: z.string().regex(CREDENTIAL_NAME, "a credential name"),
  /** Path of the endpoint on that host. */
  path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, "an absolute path").max(200).default("/v1/embeddings"),
  /** Send `dimensions` in the request (OpenAI's text-embedding-3 models can shorten their vectors). */
  sendDimensions: z.boolean().default(false),
});

export const EmbedderConfig = z.discriminatedUnion("kind", [OfflineEmbedderConfig, OpenAiEmbedderConfig]);
export type EmbedderConfig = z.output<typeof EmbedderConfig>;

export const DEFAULT_EMBEDDER: EmbedderConfig = { kind: "offline", model: OFFLINE_MODEL, dimension: OFFLINE_DEFAULT_DIMENSION };

export type VectorSpace = { kind: string; model: string; dimension: number };

/** What makes two embedders' vectors comparable: the same kind, model and dimension. */
export function sameVectors(a: VectorSpace, b: VectorSpace): boolean {
  return a.kind === b.kind && a.model === b.model && a.dimension === b.dimension;
}

export function describeEmbedder(e: VectorSpace): string {
  return `${e.kind} ${e.model} (${e.dimension} dimensions)`;
}
