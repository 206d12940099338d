// Bearer-token check. Both sides are hashed first so the comparison is constant-time and does
// not leak the token's length either.
import { createHash, timingSafeEqual } from "node:crypto";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

export class BearerAuth {
  readonly #expected: Buffer;

  constructor(token: string) {
    if (token.length === 0) throw new Error("The database server token must not be empty");
    this.#expected = digest(token);
  }

  accepts(header: string | undefined): boolean {
    if (header === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    // always compare, even without a match, so timing does not reveal which check failed
    return this.acceptsToken(match?.[1] ?? "") && match !== null;
  }

  /** The token itself (Hrana over WebSocket sends it in its hello message). */
  acceptsToken(token: string | undefined): boolean {
    const presented = digest(token ?? "");
    return timingSafeEqual(presented, this.#expected) && token !== undefined && token.length > 0;
  }
}
