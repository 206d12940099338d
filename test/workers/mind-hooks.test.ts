// Webhooks over HTTP: sources registered by the owner with an encrypted secret, both signature
// schemes, replays, stale timestamps, and the owner's mind configuration routes.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Mind } from "../../durable/mind/mind.ts";
import type { EventInfo } from "../../durable/mind/event-store.ts";
import type { Rule, SourceInfo } from "../../lib/mind/wire.ts";
import { asRoot, bindings, call, expectError, newAgent } from "../support/worker-fetch.ts";
import { addStandardSource, alarmAt, githubHeaders, mindStub, ok, postHook, setClock, standardHeaders, status, T0 } from "./mind-support.ts";

const NOW_S = Math.floor(T0 / 1000);
const body = (type: string, data: unknown = {}) => JSON.stringify({ type, timestamp: new Date(T0).toISOString(), data });

describe("Standard Webhooks sources", () => {
  it("the owner registers a source; its generated secret is shown once and stored encrypted", async () => {
    await setClock(T0);
    const created = await ok<SourceInfo & { secret: string }>(await asRoot("PUT", "/v1/owner/mind/hooks/billing", { scheme: "standard-webhooks" }), 201);
    expect(created).toMatchObject({ name: "billing", scheme: "standard-webhooks", createdAt: T0 });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await ok<{ sources: Record<string, unknown>[] }>(await asRoot("GET", "/v1/owner/mind/hooks"));
    expect(listed.sources).toEqual([{ name: "billing", scheme: "standard-webhooks", createdAt: T0, updatedAt: T0 }]);
    const stored = await runInDurableObject(mindStub(), (_m: Mind, ctx) => ctx.storage.sql.exec<{ secret: string }>("SELECT secret FROM hook_sources WHERE name = 'billing'").one().secret);
    expect(stored).not.toContain(created.secret.slice(6));
    expect(stored).not.toBe(created.secret);
    // Encrypted, not encoded: AES-256-GCM under master.key (iv ‖ ciphertext ‖ tag, bound to the
    // source), opened here with Web Crypto directly; one flipped bit and it no longer opens.
    const open = async (text: string) => {
      const raw = Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
      const hex = bindings.SEED_MASTER_KEY;
      const key = await crypto.subtle.importKey("raw", Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)), "AES-GCM", false, ["decrypt"]);
      const additionalData = new TextEncoder().encode("seed-credential\0hook:billing\0seed-webhook-source");
      return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv: raw.slice(0, 12), additionalData }, key, raw.slice(12)));
    };
    expect(await open(stored)).toBe(created.secret);
    const bytes = Uint8Array.from(atob(stored), (ch) => ch.charCodeAt(0));
    expect(bytes.length).toBe(12 + created.secret.length + 16);
    bytes[20]! ^= 1;
    await expect(open(btoa(String.fromCharCode(...bytes)))).rejects.toThrow();
  });

  it("a signed event → 202 {eventId}, stored, and the mind's alarm set to now", async () => {
    await setClock(T0);
    const secret = await addStandardSource("shop");
    const text = body("order.paid", { order: 42 });
    const res = await postHook("shop", text, await standardHeaders(secret, "msg_1", NOW_S, text));
    const { eventId } = await ok<{ eventId: string }>(res, 202);
    expect(eventId).toMatch(/^ev_/);
    expect(await alarmAt()).toBe(T0);
    const events = await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events?state=pending"));
    expect(events.events.find((e) => e.id === eventId)).toMatchObject({ source: "shop", deliveryId: "msg_1", type: "order.paid", state: "pending", attempts: 0 });
  });

  it("rejects bad and missing signatures, stale and future timestamps, and replays", async () => {
    await setClock(T0);
    const secret = await addStandardSource("strict");
    const text = body("x.y");
    const good = await standardHeaders(secret, "msg_r", NOW_S, text);
    await ok(await postHook("strict", text, good), 202);
    await expectError(await postHook("strict", text, good), 409, "replayed");

    const other = await standardHeaders("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_b", NOW_S, text);
    await expectError(await postHook("strict", text, other), 401, "bad_signature");
    const tampered = await standardHeaders(secret, "msg_t", NOW_S, text);
    await expectError(await postHook("strict", body("x.z"), tampered), 401, "bad_signature");
    await expectError(await postHook("strict", text, { "content-type": "application/json" }), 401, "missing_headers");
    const stale = await standardHeaders(secret, "msg_s", NOW_S - 5 * 60 - 1, text);
    await expectError(await postHook("strict", text, stale), 401, "stale_timestamp");
    const future = await standardHeaders(secret, "msg_f", NOW_S + 5 * 60 + 1, text);
    await expectError(await postHook("strict", text, future), 401, "stale_timestamp");
    // At the edge of the tolerance it is still accepted.
    await ok(await postHook("strict", text, await standardHeaders(secret, "msg_e", NOW_S - 5 * 60, text)), 202);
    const dotted = await standardHeaders(secret, "msg.x", NOW_S, text);
    await expectError(await postHook("strict", text, dotted), 401, "bad_timestamp");
  });

  it("verifies against the owner's own secret, and a rotated pair of signatures", async () => {
    await setClock(T0);
    const mine = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const r = await ok<Record<string, unknown>>(await asRoot("PUT", "/v1/owner/mind/hooks/own", { scheme: "standard-webhooks", secret: mine }), 201);
    expect(r.secret).toBeUndefined();
    const text = body("a.b");
    const oldKey = await standardHeaders("whsec_" + btoa("an older secret of 24 bytes!"), "msg_rot", NOW_S, text);
    const newKey = await standardHeaders(mine, "msg_rot", NOW_S, text);
    const both = { ...newKey, "webhook-signature": `${oldKey["webhook-signature"]} ${newKey["webhook-signature"]}` };
    await ok(await postHook("own", text, both), 202);
    await expectError(await asRoot("PUT", "/v1/owner/mind/hooks/own", { scheme: "standard-webhooks", secret: "whsec_" + btoa("only 16 bytes...") }), 422, "invalid_secret");
  });

  it("unknown source 404, non-JSON body 400 (after the signature), too large 413", async () => {
    await setClock(T0);
    await expectError(await postHook("nobody", "{}", {}), 404, "unknown_source");
    const secret = await addStandardSource("picky");
    await expectError(await postHook("picky", "not json", await standardHeaders(secret, "msg_n", NOW_S, "not json")), 400, "invalid_json");
    const huge = JSON.stringify({ type: "big", data: "x".repeat(1024 * 1024) });
    await expectError(await postHook("picky", huge, await standardHeaders(secret, "msg_h", NOW_S, huge)), 413, "payload_too_large");
  });
});

describe("GitHub sources", () => {
  it("accepts GitHub's documented example signature (then refuses its non-JSON body)", async () => {
    // docs.github.com, "Validating webhook deliveries": secret, payload and the resulting header.
    await ok(await asRoot("PUT", "/v1/owner/mind/hooks/gh-doc", { scheme: "github", secret: "It's a Secret to Everybody" }), 201);
    const headers = { "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "x-github-event": "ping", "x-github-delivery": "d-doc" };
    await expectError(await postHook("gh-doc", "Hello, World!", headers), 400, "invalid_json");
    await expectError(await postHook("gh-doc", "Hello, World?", headers), 401, "bad_signature");
  });

  it("a signed delivery → 202 with type event.action; replayed delivery 409; bad or missing signature 401", async () => {
    const secret = "a github webhook secret";
    await ok(await asRoot("PUT", "/v1/owner/mind/hooks/gh", { scheme: "github", secret }), 201);
    const text = JSON.stringify({ action: "opened", issue: { number: 7, title: "Invoices are late" } });
    const h = await githubHeaders(secret, "issues", "72d3162e-cc78-11e3-81ab-4c9367dc0958", text);
    const { eventId } = await ok<{ eventId: string }>(await postHook("gh", text, h), 202);
    const events = await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events"));
    expect(events.events.find((e) => e.id === eventId)).toMatchObject({ type: "issues.opened", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    await expectError(await postHook("gh", text, h), 409, "replayed");
    await expectError(await postHook("gh", text, { ...h, "x-hub-signature-256": `sha256=${"0".repeat(64)}`, "x-github-delivery": "other" }), 401, "bad_signature");
    await expectError(await postHook("gh", text, { "x-github-event": "issues", "x-github-delivery": "other2" }), 401, "bad_signature");
  });
});

describe("GitHub replays (issue 9 item 6)", () => {
  it("a signed body replayed within the window is 409 whatever X-GitHub-Delivery and X-GitHub-Event say; no delivery id is 400", async () => {
    const secret = "another github webhook secret";
    await ok(await asRoot("PUT", "/v1/owner/mind/hooks/gh-replay", { scheme: "github", secret }), 201);
    const text = JSON.stringify({ action: "published", release: { tag_name: "v1.2.3" } });
    const h = await githubHeaders(secret, "release", "d-1", text);
    await ok(await postHook("gh-replay", text, h), 202);
    await expectError(await postHook("gh-replay", text, { ...h, "x-github-delivery": "d-2" }), 409, "replayed");
    await expectError(await postHook("gh-replay", text, { ...h, "x-github-delivery": "d-3", "x-github-event": "deploy" }), 409, "replayed");
    const { "x-github-delivery": _gone, ...noDelivery } = await githubHeaders(secret, "release", "d-4", text);
    await expectError(await postHook("gh-replay", text, noDelivery), 400, "missing_delivery");
    const other = JSON.stringify({ action: "published", release: { tag_name: "v1.2.4" } });
    const { "x-github-delivery": _none, ...otherNoDelivery } = await githubHeaders(secret, "release", "d-5", other);
    await expectError(await postHook("gh-replay", other, otherNoDelivery), 400, "missing_delivery");
    await ok(await postHook("gh-replay", other, await githubHeaders(secret, "release", "d-5", other)), 202);
    const events = await ok<{ events: EventInfo[] }>(await asRoot("GET", "/v1/owner/mind/events"));
    expect(events.events.filter((e) => e.source === "gh-replay").map((e) => [e.deliveryId, e.type]).sort()).toEqual([
      ["d-1", "release.published"],
      ["d-5", "release.published"],
    ]);
  });
});

describe("the owner's mind configuration", () => {
  it("rules: added, listed, removed; bad templates and shapes refused", async () => {
    const rule = await ok<Rule>(await asRoot("POST", "/v1/owner/mind/rules", { source: "shop", event: "order.*", capability: "fulfil", title: "ship order {{data.order}}", priority: 8, deadlineInMs: 3_600_000 }), 201);
    expect(rule).toMatchObject({ id: expect.stringMatching(/^r_/), source: "shop", event: "order.*", capability: "fulfil", priority: 8, deadlineInMs: 3_600_000 });
    expect((await ok<{ rules: Rule[] }>(await asRoot("GET", "/v1/owner/mind/rules"))).rules.map((r) => r.id)).toContain(rule.id);
    await expectError(await asRoot("POST", "/v1/owner/mind/rules", { source: "shop", event: "x", capability: "c", title: "{{ broken" }), 422, "invalid_template");
    await expectError(await asRoot("POST", "/v1/owner/mind/rules", { source: "shop", event: "x y", capability: "c", title: "t" }), 422, "invalid_input");
    await expectError(await asRoot("POST", "/v1/owner/mind/rules", { source: "shop", event: "x", capability: "c", title: "t", extra: 1 }), 422, "invalid_input");
    await ok(await asRoot("DELETE", `/v1/owner/mind/rules/${rule.id}`));
    await expectError(await asRoot("DELETE", `/v1/owner/mind/rules/${rule.id}`), 404, "rule_not_found");
    await expectError(await asRoot("DELETE", "/v1/owner/mind/hooks/never-added"), 404, "unknown_source");
  });

  it("only the owner switches the mode; GET /v1/mind shows it", async () => {
    expect((await status()).mode).toBe("observe");
    const agent = await newAgent("wannabe");
    await expectError(await call("POST", "/v1/owner/mind/mode", { key: agent.token, body: { mode: "govern" } }), 403, "wrong_key_kind");
    await expectError(await asRoot("POST", "/v1/owner/mind/mode", { mode: "rule" }), 422, "invalid_input");
    expect(await ok(await asRoot("POST", "/v1/owner/mind/mode", { mode: "govern" }))).toEqual({ mode: "govern", previous: "observe" });
    expect((await status()).mode).toBe("govern");
    await ok(await asRoot("POST", "/v1/owner/mind/mode", { mode: "observe" }));
    await expectError(await call("GET", "/v1/owner/mind/hooks", { key: agent.token }), 403, "wrong_key_kind");
    await expectError(await asRoot("GET", "/v1/mind/coherence?window=soon"), 422, "invalid_input");
  });
});
