// Batons and stream lifetimes. A baton is a random one-time ticket for the next request on a
// stream: it is consumed when that request arrives and a fresh one is issued with the response,
// so requests on a stream are serialised and a guessed or replayed baton finds nothing. A
// parked stream that sees no request for `idleMs` is rolled back and closed.
import { randomBytes } from "node:crypto";
import { StreamNotFoundError, TooManyStreamsError } from "./errors.ts";
import { HranaStream } from "./hrana-stream.ts";
import type { StreamContext } from "./hrana-stream.ts";

// Open streams cost memory (stored SQL texts, a connection while in a transaction); idle ones
// expire, and there are never more than this many at once.
const MAX_STREAMS = 1024;

interface Parked {
  stream: HranaStream;
  timer: NodeJS.Timeout;
}

export class StreamRegistry {
  readonly #ctx: StreamContext;
  readonly #idleMs: number;
  readonly #parked = new Map<string, Parked>();
  readonly #live = new Set<HranaStream>();
  #nextId = 1;

  constructor(ctx: StreamContext, idleMs: number) {
    this.#ctx = ctx;
    this.#idleMs = idleMs;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  open(): HranaStream {
    if (this.#live.size >= MAX_STREAMS) throw new TooManyStreamsError(MAX_STREAMS);
    const stream = new HranaStream(this.#nextId++, this.#ctx);
    this.#live.add(stream);
    return stream;
  }

  take(baton: string): HranaStream {
    const parked = this.#parked.get(baton);
    if (parked === undefined) throw new StreamNotFoundError();
    this.#parked.delete(baton);
    clearTimeout(parked.timer);
    return parked.stream;
  }

  /** Ends a pipeline: a closed stream is forgotten, an open one gets a new baton. */
  release(stream: HranaStream): string | null {
    if (stream.closed) {
      this.#live.delete(stream);
      return null;
    }
    stream.park();
    const baton = randomBytes(24).toString("base64url");
    const timer = setTimeout(() => this.#expire(baton), this.#idleMs);
    timer.unref();
    this.#parked.set(baton, { stream, timer });
    return baton;
  }

  /** Closes a stream whose request failed as a whole (the client must treat it as dead). */
  abandon(stream: HranaStream): void {
    stream.close();
    this.#live.delete(stream);
  }

  #expire(baton: string): void {
    const parked = this.#parked.get(baton);
    if (parked === undefined) return;
    this.#parked.delete(baton);
    const { stream } = parked;
    const hadTransaction = stream.inTransaction;
    const heldLock = stream.holdsLock;
    stream.close();
    this.#live.delete(stream);
    this.#ctx.log("stream_expired", { stream: stream.id, rolledBack: hadTransaction, releasedWriteLock: heldLock });
  }

  /** Rolls back and closes every stream waiting for its next request (e.g. after the token
   * changed: nobody can send that request any more). Returns how many were closed. */
  closeParked(): number {
    const batons = [...this.#parked.keys()];
    for (const baton of batons) {
      const parked = this.#parked.get(baton);
      if (parked === undefined) continue;
      this.#parked.delete(baton);
      clearTimeout(parked.timer);
      this.abandon(parked.stream);
    }
    return batons.length;
  }

  /** Rolls back and closes every stream; callers make sure no pipeline is still running. */
  closeAll(): void {
    for (const { timer } of this.#parked.values()) clearTimeout(timer);
    this.#parked.clear();
    for (const stream of this.#live) stream.close();
    this.#live.clear();
  }
}
