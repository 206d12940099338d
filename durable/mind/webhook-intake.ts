// Accepting a webhook: find the source, verify its signature with its own scheme, refuse replays,
// store the event. The caller answers 202 only after this returns, i.e. after the write.
import { decryptSecret, encryptSecret, resealSecret } from "../../lib/credentials.ts";
import { githubSecretBytes, verifyGithub } from "../../lib/mind/github-signature.ts";
import { importHmacKey, toHex, type HmacKey } from "../../lib/mind/hmac.ts";
import { newStandardSecret, standardSecretBytes, verifyStandard } from "../../lib/mind/standard-webhooks.ts";
import type { WebhookScheme } from "../../lib/mind/wire.ts";
import type { EventStore } from "./event-store.ts";
import { MindFailure } from "./result.ts";

/** The headers each scheme reads, lower-cased by the route. */
export type HookHeaders = {
  "webhook-id"?: string;
  "webhook-timestamp"?: string;
  "webhook-signature"?: string;
  "x-hub-signature-256"?: string;
  "x-github-delivery"?: string;
  "x-github-event"?: string;
};

// A source secret is encrypted under master.key like a credential, bound to its source's name.
const AAD_HOST = "seed-webhook-source";
const aadName = (source: string) => `hook:${source}`;

export async function sealSourceSecret(master: Uint8Array, source: string, scheme: WebhookScheme, secret: string | undefined): Promise<{ ciphertext: string; generated: string | null }> {
  let plain = secret;
  let generated: string | null = null;
  if (plain === undefined) {
    plain = scheme === "standard-webhooks" ? newStandardSecret() : toHex(crypto.getRandomValues(new Uint8Array(32)));
    generated = plain;
  }
  if (scheme === "standard-webhooks" && standardSecretBytes(plain) === null) {
    throw new MindFailure(422, "invalid_secret", "a Standard Webhooks secret is whsec_ followed by base64 of at least 24 bytes");
  }
  return { ciphertext: await encryptSecret(master, aadName(source), AAD_HOST, plain), generated };
}

/** A source secret sealed under a new master key (`seed handoff --rotate-master-key`). */
export const resealSourceSecret = (old: Uint8Array, next: Uint8Array, source: string, ciphertext: string) => resealSecret(old, next, aadName(source), AAD_HOST, ciphertext);

export class WebhookIntake {
  readonly store: EventStore;
  readonly master: () => Uint8Array;
  readonly now: () => number;
  // Imported HMAC keys by source, valid while the stored ciphertext is the same (a PUT replaces it).
  readonly #keys = new Map<string, { ciphertext: string; key: HmacKey }>();

  constructor(store: EventStore, master: () => Uint8Array, now: () => number) {
    this.store = store;
    this.master = master;
    this.now = now;
  }

  async receive(sourceName: string, headers: HookHeaders, body: Uint8Array): Promise<{ eventId: string; type: string }> {
    const source = this.store.source(sourceName);
    if (!source) throw new MindFailure(404, "unknown_source", `no webhook source ${sourceName}`);
    const key = await this.#key(source.name, source.scheme, source.secret);
    let deliveryId: string;
    let bodyDigest: string | undefined;
    let type: string;
    const text = new TextDecoder().decode(body);
    if (source.scheme === "standard-webhooks") {
      const v = await verifyStandard(key, { id: headers["webhook-id"], timestamp: headers["webhook-timestamp"], signature: headers["webhook-signature"] }, body, this.now());
      if (!v.ok) throw new MindFailure(401, v.reason, signatureMessage(v.reason));
      deliveryId = v.id;
      const data = parseJson(text);
      type = typeof (data as { type?: unknown })?.type === "string" ? (data as { type: string }).type : "unknown";
    } else {
      if (!(await verifyGithub(key, headers["x-hub-signature-256"], body))) throw new MindFailure(401, "bad_signature", signatureMessage("bad_signature"));
      const data = parseJson(text);
      // GitHub signs only the body: the delivery id and event headers are the sender's word, so a
      // replay is recognised by the signed body's digest whatever they say.
      const delivery = headers["x-github-delivery"];
      if (!delivery) throw new MindFailure(400, "missing_delivery", "X-GitHub-Delivery is required");
      deliveryId = delivery;
      bodyDigest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", body)));
      const action = (data as { action?: unknown })?.action;
      type = `${headers["x-github-event"] || "unknown"}${typeof action === "string" ? `.${action}` : ""}`;
    }
    const eventId = this.store.insert({ source: source.name, deliveryId, bodyDigest, type: type.slice(0, 200), body: text });
    if (eventId === null) throw new MindFailure(409, "replayed", `this delivery from ${source.name} (its id or its signed body) was already accepted`);
    return { eventId, type };
  }

  forget(source: string): void {
    this.#keys.delete(source);
  }

  async #key(source: string, scheme: WebhookScheme, ciphertext: string): Promise<HmacKey> {
    const cached = this.#keys.get(source);
    if (cached && cached.ciphertext === ciphertext) return cached.key;
    const secret = await decryptSecret(this.master(), aadName(source), AAD_HOST, ciphertext);
    const raw = scheme === "standard-webhooks" ? standardSecretBytes(secret) : githubSecretBytes(secret);
    if (!raw) throw new MindFailure(503, "source_misconfigured", `the secret of ${source} is unusable; set it again`);
    const key = await importHmacKey(raw);
    this.#keys.set(source, { ciphertext, key });
    return key;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MindFailure(400, "invalid_json", "the webhook body is not JSON");
  }
}

function signatureMessage(reason: string): string {
  switch (reason) {
    case "missing_headers":
      return "webhook-id, webhook-timestamp and webhook-signature are required";
    case "bad_timestamp":
      return "webhook-timestamp must be whole seconds since the epoch and webhook-id must not contain a dot";
    case "stale_timestamp":
      return "webhook-timestamp is more than 5 minutes from now";
    default:
      return "the signature does not match";
  }
}
