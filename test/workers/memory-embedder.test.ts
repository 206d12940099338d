// The owner's OpenAI-compatible embedder, reached only through the EMBEDDINGS service binding
// (bound to a real HTTP server on loopback: test/support/embeddings-server.ts), with its
// credential decrypted from libSQL and sent as the Bearer token. These tests never switch the
// shared database's active embedder: that runs in test/system/memory-cli.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { masterKeyFromHex, removeCredential, setCredential } from "../../lib/credentials.ts";
import { randomId } from "../../lib/keys.ts";
import { resolveEmbedder } from "../../lib/memory/embedders.ts";
import type { AnyDb } from "../../lib/memory/memory-types.ts";
import { embedOffline } from "../../lib/memory/offline-embedder.ts";
import { openDb } from "../../lib/db/client.ts";
import { asRoot, bindings, expectError } from "../support/worker-fetch.ts";

const env = bindings as unknown as typeof bindings & { TEST_EMBEDDINGS_HOST: string; TEST_EMBEDDINGS_TOKEN: string };
const db = openDb(bindings) as unknown as AnyDb;
const master = masterKeyFromHex(bindings.SEED_MASTER_KEY);
const good = `emb-${randomId(6)}`;
const wrong = `emb-${randomId(6)}`;
const config = (credential: string) => ({ kind: "openai" as const, model: "test-embed", dimension: 64, credential, path: "/v1/embeddings", sendDimensions: false });

async function stats(): Promise<{ requests: number; hosts: string[]; unauthorized: number }> {
  return (await (await env.EMBEDDINGS!.fetch("http://embeddings.test/stats")).json()) as { requests: number; hosts: string[]; unauthorized: number };
}

await setCredential(db, master, { name: good, host: env.TEST_EMBEDDINGS_HOST, secret: env.TEST_EMBEDDINGS_TOKEN });
await setCredential(db, master, { name: wrong, host: env.TEST_EMBEDDINGS_HOST, secret: "not-the-token" });

afterAll(async () => {
  await removeCredential(db, good);
  await removeCredential(db, wrong);
});

describe("OpenAI-compatible embedder", () => {
  it("embeds through the EMBEDDINGS binding with the credential as Bearer, in input order", async () => {
    const before = await stats();
    const texts = ["first text", "second, different text", "third"];
    const vectors = await resolveEmbedder(db, env, config(good)).embed(texts);
    expect(vectors.map((v) => Array.from(v))).toEqual(texts.map((t) => Array.from(embedOffline(t, 64))));
    const after = await stats();
    expect(after.requests).toBe(before.requests + 1);
    expect(after.unauthorized).toBe(before.unauthorized);
    expect(after.hosts.at(-1)).toBe(env.TEST_EMBEDDINGS_HOST); // the credential's host, nothing else
  });

  it("splits large inputs into several requests", async () => {
    const before = await stats();
    const texts = Array.from({ length: 200 }, (_, i) => `text number ${i}`);
    const vectors = await resolveEmbedder(db, env, config(good)).embed(texts);
    expect(vectors).toHaveLength(200);
    expect(Array.from(vectors[150]!)).toEqual(Array.from(embedOffline("text number 150", 64)));
    expect((await stats()).requests).toBe(before.requests + 3);
  });

  it("fails with a clear 503 and never leaks the secret", async () => {
    const err = await resolveEmbedder(db, env, config(wrong)).embed(["x"]).then(() => null, (e: Error) => e);
    expect(err).toMatchObject({ status: 503, code: "embedder_failed", message: expect.stringContaining("HTTP 401") });
    expect(err!.message).not.toContain("not-the-token");
    await expect(resolveEmbedder(db, env, config("emb-missing")).embed(["x"])).rejects.toMatchObject({ status: 503, code: "embedder_credential_missing" });
    await expect(resolveEmbedder(db, { SEED_MASTER_KEY: env.SEED_MASTER_KEY }, config(good)).embed(["x"])).rejects.toMatchObject({
      status: 503,
      code: "embedder_not_configured",
    });
    await expect(resolveEmbedder(db, env, { ...config(good), dimension: 32 }).embed(["x"])).rejects.toMatchObject({ code: "embedder_wrong_dimension" });
    await expect(resolveEmbedder(db, env, { ...config(good), model: "unknown-model" }).embed(["x"])).rejects.toMatchObject({ code: "embedder_failed" });
  });
});

describe("PUT /v1/memory/embedder", () => {
  it("records another embedder as pending (reembed needed); the same vectors again clears it", async () => {
    const status = (await (await asRoot("GET", "/v1/memory/status")).json()) as { embedder: Record<string, unknown> };
    const res = await asRoot("PUT", "/v1/memory/embedder", { kind: "openai", model: "test-embed", dimension: 64, credential: good });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ reembedNeeded: true, pending: { kind: "openai", model: "test-embed", dimension: 64, credential: good } });
    // Recall and remember keep using the active embedder meanwhile.
    const mid = (await (await asRoot("GET", "/v1/memory/status")).json()) as { embedder: unknown; pending: unknown; reembed: { done: number } };
    expect(mid.embedder).toEqual(status.embedder);
    expect(mid.reembed.done).toBe(0);
    const back = await asRoot("PUT", "/v1/memory/embedder", status.embedder);
    expect(await back.json()).toMatchObject({ reembedNeeded: false, pending: null });
  });

  it("refuses unknown credentials and bad configurations", async () => {
    await expectError(await asRoot("PUT", "/v1/memory/embedder", { kind: "openai", model: "m", dimension: 64, credential: "emb-missing" }), 422, "unknown_credential");
    await expectError(await asRoot("PUT", "/v1/memory/embedder", { kind: "openai", model: "m", dimension: 3, credential: good }), 422, "invalid_input");
    await expectError(await asRoot("PUT", "/v1/memory/embedder", { kind: "word2vec" }), 422, "invalid_input");
    await expectError(await asRoot("PUT", "/v1/memory/embedder", { kind: "offline", dimension: 100000 }), 422, "invalid_input");
  });
});
