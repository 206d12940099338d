// Request bodies with a hard size limit, and JSON responses. The content type is exactly
// `application/json`: the Hrana client only parses error bodies carrying that exact value.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLargeError, RequestAbortedError } from "./errors.ts";

/**
 * Reads the body, failing with BodyTooLargeError past `limit` bytes. An oversized body is still
 * drained (up to a few times the limit) before the error surfaces: answering 413 while the client
 * is mid-upload makes most clients see a broken pipe instead of the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const drainCap = Math.max(limit, 1024 * 1024) * 4;
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > drainCap) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    // errors are built lazily: capturing a stack on every request is measurable
    const fail = (makeError: () => Error): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(makeError());
    };
    const tooLarge = (): Error => new BodyTooLargeError(limit);
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainCap) {
        fail(tooLarge);
        return;
      }
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () => {
      if (size > limit) fail(tooLarge);
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks));
    });
    req.on("error", (error) => fail(() => error));
    req.on("close", () => fail(() => new RequestAbortedError()));
  });
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Uint8Array, extraHeaders?: Record<string, string>): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
    "cache-control": "no-store",
    ...extraHeaders,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders?: Record<string, string>): void {
  send(res, status, "application/json", JSON.stringify(body), extraHeaders);
}
