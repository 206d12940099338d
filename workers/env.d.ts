// What the seed's Worker receives beyond what `wrangler types` generates from wrangler.toml
// (worker-configuration.d.ts): secrets from the environment and the services the owner declared.
// Declared once, merged into the generated Env (global and Cloudflare.Env alike).
interface SeedEnv {
  /** Bearer token of the libSQL server; from the environment, never in the config file. */
  SEED_DB_TOKEN: string;
  /** master.key as hex: decrypts credentials. From the environment, never in the config file. */
  SEED_MASTER_KEY: string;
  /** The seed's Ed25519 private key, PKCS8 DER in base64: signs audit checkpoints. From the environment. */
  SEED_IDENTITY_KEY?: string;
  /** The services the owner declared, as JSON `{NAME: {url, credential?}}` (no secrets). */
  SEED_SERVICES?: string;
  /** Outbound services the owner configured (`seed services set`); absent unless configured. */
  LLM?: Fetcher;
  EMBEDDINGS?: Fetcher;
}

interface Env extends SeedEnv {}

declare namespace Cloudflare {
  interface Env extends SeedEnv {}
}
