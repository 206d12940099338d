// For Worker tests of the console: a tiny browser — a cookie jar, same-origin form posts, the CSRF
// token read from the page — against the Worker's real default export.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

const worker = (exports as unknown as { default: Fetcher }).default;
export const ORIGIN = "http://seed.test";

export class Browser {
  readonly cookies = new Map<string, string>();
  readonly address: string;
  readonly origin: string;

  constructor(address = "127.0.0.1", origin = ORIGIN) {
    this.address = address;
    this.origin = origin;
  }

  async fetch(method: string, path: string, opts: { form?: Record<string, string>; headers?: Record<string, string>; raw?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined = opts.raw;
    if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers["Content-Type"] ??= "application/x-www-form-urlencoded";
    }
    if (method !== "GET") headers.Origin ??= this.origin;
    const res = await worker.fetch(new Request(`${this.origin}${path}`, { method, headers, body, redirect: "manual", cf: { clientIp: `${this.address}:40000` } }));
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a.trim()));
      if (expired || value === "") this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return res;
  }

  get = (path: string) => this.fetch("GET", path);

  /** The page's HTML (expecting `status`). */
  async page(path: string, status = 200): Promise<string> {
    const res = await this.get(path);
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(status);
    return html;
  }

  async signIn(key: string): Promise<Response> {
    const html = await this.page("/console/sign-in");
    const pre = /name="pre" value="([a-f0-9]+)"/.exec(html)![1]!;
    return this.fetch("POST", "/console/sign-in", { form: { pre, key } });
  }

  /** The CSRF token of the signed-in session, as the pages carry it. */
  async csrf(): Promise<string> {
    const html = await (await this.get("/console/pulse")).text();
    return /name="csrf" value="([a-f0-9]+)"/.exec(html)![1]!;
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return this.fetch("POST", path, { form, headers });
  }
}

let n = 0;
/** A client address per browser, so the failed-auth limiter of one test never touches another. */
export const freshBrowser = (origin = ORIGIN) => new Browser(`10.77.${(++n >> 8) & 255}.${n & 255}`, origin);
