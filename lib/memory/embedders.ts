// Resolves the configured embedder into something that turns texts into unit vectors.
import { getCredential, masterKeyFromHex } from "../credentials.ts";
import { UnavailableError } from "../errors.ts";
import type { EmbedderConfig } from "./embedder-config.ts";
import type { AnyDb, MemoryEnv } from "./memory-types.ts";
import { embedOffline } from "./offline-embedder.ts";
import { embedOpenAi } from "./openai-embedder.ts";

export type Embedder = { config: EmbedderConfig; embed(texts: readonly string[]): Promise<Float32Array[]> };

export function resolveEmbedder(db: AnyDb, env: MemoryEnv | undefined, config: EmbedderConfig): Embedder {
  if (config.kind === "offline") {
    return { config, embed: async (texts) => texts.map((t) => embedOffline(t, config.dimension)) };
  }
  return {
    config,
    async embed(texts) {
      if (texts.length === 0) return [];
      const fetcher = env?.EMBEDDINGS;
      if (!fetcher) {
        throw new UnavailableError("the embedder is an OpenAI-compatible endpoint but no EMBEDDINGS service is configured (`seed services set EMBEDDINGS --url …`, then restart)", "embedder_not_configured");
      }
      if (!env?.SEED_MASTER_KEY) throw new UnavailableError("the master key is not available to decrypt the embedder's credential", "embedder_not_configured");
      let credential: { host: string; secret: string } | null;
      try {
        credential = await getCredential(db, masterKeyFromHex(env.SEED_MASTER_KEY), config.credential);
      } catch (cause) {
        throw new UnavailableError(`the credential ${config.credential} cannot be read`, "embedder_credential_unreadable", { cause });
      }
      if (!credential) throw new UnavailableError(`the embedder's credential ${config.credential} does not exist (\`seed credentials set ${config.credential} --host …\`)`, "embedder_credential_missing");
      return embedOpenAi(config, { fetcher, host: credential.host, secret: credential.secret }, texts);
    },
  };
}
