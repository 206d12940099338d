// The console in a real headless Chromium (Debian's `chromium`, driven by playwright-core) against a
// real `seed up` in a temp folder whose path contains a space: sign in with the keyboard, see the
// pulse of a seed with a stalled subsystem, grant and revoke a helper key from the page, the revoked
// helper's session ending, and the browser itself refusing a cross-origin form and injected script
// (CSRF and CSP). Screenshots are saved as artifacts in the test's temp folder (printed at the end).
import { createServer, type Server } from "node:http";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoherenceReport } from "../../lib/mind/wire.ts";
import { requireCommand } from "../../scripts/cli/system-packages.ts";
import { callSeed, startSeed, until, type SeedProcess } from "../support/seed-process.ts";

const DAY = 86_400_000;
let seed: SeedProcess;
let browser: Browser;
let shots: string;
const api = <T>(method: string, p: string, body?: unknown) => callSeed<T>(seed, method, p, body);



const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${seed.url}/`);
  expect(new URL(page.url()).pathname).toBe("/console/sign-in");
  await page.getByLabel("Key").fill(key);
  await page.getByLabel("Key").press("Enter"); // the keyboard is enough
  await page.waitForURL((u) => u.pathname !== "/console/sign-in");
}

beforeAll(async () => {
  seed = await startSeed();
  // `seed test` names a folder that outlives its run's temp files; alone, beside the seed's home.
  shots = path.join(process.env.SEED_TEST_ARTIFACTS ?? path.join(seed.home, ".."), "console screenshots");
  mkdirSync(shots, { recursive: true });
  // A subsystem that completed daily until 30 days ago and has had work waiting since: stalled.
  const now = Date.now();
  const stalledAt = now - 30 * DAY;
  const tasks: object[] = [];
  for (let k = 40; k >= 0; k--) tasks.push({ id: `inv-${k}`, title: `invoice ${k}`, capability: "invoicing", source: "erp", state: "done", createdAt: stalledAt - k * DAY - 3_600_000, finishedAt: stalledAt - k * DAY });
  for (let k = 0; k < 5; k++) tasks.push({ id: `inv-open-${k}`, title: `invoice +${k}`, capability: "invoicing", source: "erp", state: "open", createdAt: stalledAt + k * DAY });
  const imported = await api("POST", "/v1/owner/mind/import", { tasks });
  expect(imported.status).toBe(201);
  await until("the cycle that measures the import", async () => (await api<CoherenceReport>("GET", "/v1/mind/coherence")).json.stalled.some((s) => s.name === "invoicing"));
  browser = await chromium.launch({ executablePath: requireCommand("chromium"), args: ["--no-sandbox"] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await seed?.stop();
  if (shots) console.log(`console screenshots: ${shots}`);
});

describe("the console in Chromium", () => {
  it("signs the owner in, shows the stalled subsystem on the pulse, grants and revokes a helper whose session then ends", async () => {
    const owner = await browser.newContext();
    const page = await owner.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") violations.push(m.text());
    });
    await signIn(page, seed.rootKey());
    expect(new URL(page.url()).pathname).toBe("/console/pulse");
    expect(page.url()).not.toContain(seed.rootKey());
    const cookies = await owner.cookies();
    const session = cookies.find((c) => c.name === "seed_console")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
    const row = page.getByRole("row", { name: /invoicing/ });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toMatch(/stalled/);
    expect(await row.innerText()).toContain(new Date(Date.now() - 30 * DAY).toISOString().slice(0, 7)); // the dates are shown
    expect(await page.locator("svg.chart").count()).toBe(1);
    await shot(page, "01 pulse (owner)");

    // Grant a helper key from the membrane page, with the keyboard.
    await page.getByRole("link", { name: "Membrane" }).click();
    await page.getByLabel("Name").fill("provider");
    await page.getByLabel(/^Scopes/).fill("coherence:read status:read");
    await page.getByLabel(/^Lifetime/).fill("12h");
    await page.getByLabel(/^Lifetime/).press("Enter");
    const token = (await page.locator("#granted-token").innerText()).trim();
    expect(token).toMatch(/^seed_helper_[a-z0-9]{16}_[a-f0-9]{64}$/);
    expect(page.url()).not.toContain(token);
    await shot(page, "02 membrane: granted, shown once");

    // The helper signs in elsewhere and sees only the pulse, read-only.
    const helperContext = await browser.newContext();
    const helper = await helperContext.newPage();
    await signIn(helper, token);
    expect(new URL(helper.url()).pathname).toBe("/console/pulse");
    expect(await helper.getByRole("link", { name: "Membrane" }).count()).toBe(0);
    expect(await helper.getByText("read-only").count()).toBeGreaterThan(0);
    await shot(helper, "03 pulse (helper, read-only)");
    const forbidden = await helper.goto(`${seed.url}/console/membrane`);
    expect(forbidden!.status()).toBe(403);

    // The owner revokes it from the page (confirming the dialog the script adds).
    await page.goto(`${seed.url}/console/membrane`);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Revoke provider" }).click();
    await page.getByText(/Revoked provider/).waitFor();
    await shot(page, "04 membrane: revoked");

    // The helper's next request finds its session over.
    await helper.goto(`${seed.url}/console/pulse`);
    expect(new URL(helper.url()).pathname).toBe("/console/sign-in");
    expect(await helper.getByText(/session has ended/).count()).toBe(1);
    await shot(helper, "05 helper after revoke");
    expect(violations).toEqual([]);
    await helperContext.close();
    await owner.close();
  }, 120_000);

  it("refuses a form posted from another origin and blocks injected script (CSRF and CSP, enforced by the browser)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, seed.rootKey());

    // Another origin on the same machine (same site: the cookie is even sent) posts a grant.
    const evil: Server = createServer((_req, res) => {
      res.setHeader("Content-Type", "text/html");
      res.end(`<form method="post" action="${seed.url}/console/membrane/grant"><input name="name" value="evil"><input name="scopes" value="audit:read"><button id="go">go</button></form>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    const other = await context.newPage();
    await other.goto(evilUrl);
    const [answer] = await Promise.all([other.waitForResponse((r) => r.url().endsWith("/console/membrane/grant")), other.click("#go")]);
    expect(answer.status()).toBe(403);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("cross_origin");
    await shot(other, "06 cross-origin form refused");
    evil.close();
    const helpers = (await api<{ helpers: { name: string }[] }>("GET", "/v1/owner/membrane?state=all")).json.helpers;
    expect(helpers.some((h) => h.name === "evil")).toBe(false);

    // An inline script or one from elsewhere, slipped into the page, does not run.
    // (Page code as text: this file is typed for Node, without the DOM's types.)
    const blocked = (await page.evaluate(`(async () => {
      const seen = [];
      const both = new Promise((resolve) =>
        document.addEventListener("securitypolicyviolation", (e) => {
          seen.push(e.violatedDirective);
          if (seen.length === 2) resolve();
        }),
      );
      const inline = document.createElement("script");
      inline.textContent = "window.__injected = 1";
      document.body.appendChild(inline);
      const remote = document.createElement("script");
      remote.src = "http://127.0.0.1:9/x.js";
      document.body.appendChild(remote);
      await both; // the browser reports each refusal as an event
      return { ran: window.__injected === 1, seen };
    })()`)) as { ran: boolean; seen: string[] };
    expect(blocked.ran).toBe(false);
    expect(blocked.seen.filter((d) => d.startsWith("script-src"))).toHaveLength(2);
    await context.close();
  }, 60_000);
});
