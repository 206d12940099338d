// An OpenAI-compatible `/v1/embeddings` endpoint the owner configured. The request goes only
// through the EMBEDDINGS service binding (the Worker has no other way out), to the one host its
// credential is bound to, with the credential as the Bearer token. Neither the token nor the
// endpoint's answer body ever reaches an error message.
import { z } from "zod";
import { UnavailableError } from "../errors.ts";
import type { EmbedderConfig } from "./embedder-config.ts";
import type { FetcherLike } from "./memory-types.ts";
import { unitVector } from "./vector-codec.ts";

type OpenAiConfig = Extract<EmbedderConfig, { kind: "openai" }>;

/** Inputs per request: well under every compatible server's limit. */
export const OPENAI_BATCH = 96;
const TIMEOUT_MS = 30_000;

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

export async function embedOpenAi(
  config: OpenAiConfig,
  endpoint: { fetcher: FetcherLike; host: string; secret: string },
  texts: readonly string[],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += OPENAI_BATCH) {
    out.push(...(await embedBatch(config, endpoint, texts.slice(i, i + OPENAI_BATCH))));
  }
  return out;
}

async function embedBatch(config: OpenAiConfig, endpoint: { fetcher: FetcherLike; host: string; secret: string }, input: string[]): Promise<Float32Array[]> {
  const body = { model: config.model, input, encoding_format: "float", ...(config.sendDimensions ? { dimensions: config.dimension } : {}) };
  let res: Response;
  try {
    res = await endpoint.fetcher.fetch(`https://${endpoint.host}${config.path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${endpoint.secret}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (cause) {
    throw new UnavailableError(`the embeddings endpoint ${endpoint.host} is unreachable`, "embedder_unavailable", { cause });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new UnavailableError(`the embeddings endpoint ${endpoint.host} answered HTTP ${res.status}`, "embedder_failed");
  }
  let parsed: z.output<typeof EmbeddingsResponse>;
  try {
    parsed = EmbeddingsResponse.parse(await res.json());
  } catch (cause) {
    throw new UnavailableError(`the embeddings endpoint ${endpoint.host} answered something that is not an embeddings response`, "embedder_failed", { cause });
  }
  const vectors: (Float32Array | undefined)[] = new Array(input.length);
  for (const d of parsed.data) {
    if (d.index >= input.length) continue;
    if (d.embedding.length !== config.dimension) {
      throw new UnavailableError(
        `the embeddings endpoint returned ${d.embedding.length} dimensions; the configured embedder has ${config.dimension}`,
        "embedder_wrong_dimension",
      );
    }
    const unit = unitVector(d.embedding);
    if (!unit) throw new UnavailableError("the embeddings endpoint returned a vector with no direction or with values outside float32's range", "embedder_failed");
    vectors[d.index] = unit;
  }
  if (vectors.some((v) => v === undefined)) throw new UnavailableError("the embeddings endpoint left some inputs without an embedding", "embedder_failed");
  return vectors as Float32Array[];
}
