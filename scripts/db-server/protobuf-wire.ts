// The Protocol Buffers wire format, just what Hrana's `v3-protobuf` needs: varints (with zigzag
// sint64), doubles, length-delimited strings, bytes and nested messages, and skipping unknown
// fields. Written here rather than taken from protobufjs: Hrana's schema is small and fixed, the
// official client hand-writes its codec the same way, and a reflection layer would sit on every
// request. Malformed input raises ProtocolError, never a crash or a hang.
import { ProtocolError } from "./errors.ts";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class ProtoReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  #byte(): number {
    if (this.#pos >= this.#end) throw new ProtocolError("The Protobuf message ends in the middle of a field");
    return this.#buf[this.#pos++] ?? 0;
  }

  /** A varint up to 64 bits, as bigint (two's complement for negative int32/int64). */
  varintBig(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.#byte();
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, value);
    }
    throw new ProtocolError("A Protobuf varint is longer than 10 bytes");
  }

  /** A varint that must fit a non-negative safe integer (lengths, tags, uint32, bool). */
  varint(): number {
    const first = this.#byte();
    if ((first & 0x80) === 0) return first;
    this.#pos--;
    const value = this.varintBig();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError("A Protobuf varint is out of range");
    return Number(value);
  }

  int32(): number {
    return Number(BigInt.asIntN(32, this.varintBig()));
  }

  uint32(): number {
    return Number(BigInt.asUintN(32, this.varintBig()));
  }

  bool(): boolean {
    return this.varintBig() !== 0n;
  }

  sint64(): bigint {
    const n = this.varintBig();
    return (n >> 1n) ^ -(n & 1n);
  }

  double(): number {
    if (this.#pos + 8 > this.#end) throw new ProtocolError("The Protobuf message ends in the middle of a double");
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  #lengthDelimited(): { start: number; end: number } {
    const length = this.varint();
    const start = this.#pos;
    const end = start + length;
    if (end > this.#end) throw new ProtocolError("A Protobuf field is longer than its message");
    this.#pos = end;
    return { start, end };
  }

  bytes(): Uint8Array {
    const { start, end } = this.#lengthDelimited();
    return this.#buf.slice(start, end);
  }

  string(): string {
    const { start, end } = this.#lengthDelimited();
    try {
      return utf8.decode(this.#buf.subarray(start, end));
    } catch {
      throw new ProtocolError("A Protobuf string is not valid UTF-8");
    }
  }

  message(): ProtoReader {
    const { start, end } = this.#lengthDelimited();
    return new ProtoReader(this.#buf, start, end);
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const tag = this.varint();
    return { field: Math.floor(tag / 8), wire: tag & 7 };
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varintBig();
        return;
      case WIRE_FIXED64:
        this.#advance(8);
        return;
      case WIRE_LENGTH:
        this.#lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.#advance(4);
        return;
      default:
        throw new ProtocolError(`Unsupported Protobuf wire type ${wire}`);
    }
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#end) throw new ProtocolError("The Protobuf message ends in the middle of a field");
    this.#pos += n;
  }
}

/** Reads every field of a message, calling `onField` with the reader positioned at its value;
 * `onField` returns false for fields it does not know, which are skipped. */
export function readFields(r: ProtoReader, onField: (field: number, wire: number) => boolean): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (!onField(field, wire)) r.skip(wire);
  }
}

/** Checks a known field's wire type (a mismatch is malformed input). */
export function expectWire(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new ProtocolError(`${what} has Protobuf wire type ${actual}, expected ${expected}`);
}

const encoder = new TextEncoder();

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #pos = 0;

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  #varint(n: number): void {
    this.#reserve(10);
    while (n > 0x7f) {
      this.#buf[this.#pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.#buf[this.#pos++] = n;
  }

  #varintBig(n: bigint): void {
    this.#reserve(10);
    let v = BigInt.asUintN(64, n);
    while (v > 0x7fn) {
      this.#buf[this.#pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#pos++] = Number(v);
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  uint(field: number, value: number): void {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
  }

  bool(field: number, value: boolean): void {
    this.uint(field, value ? 1 : 0);
  }

  sint64(field: number, value: bigint): void {
    this.#tag(field, WIRE_VARINT);
    this.#varintBig((value << 1n) ^ (value >> 63n));
  }

  double(field: number, value: number): void {
    this.#tag(field, WIRE_FIXED64);
    this.#reserve(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  bytes(field: number, value: Uint8Array): void {
    this.#tag(field, WIRE_LENGTH);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, encoder.encode(value));
  }

  /** A nested message (an empty one too: its presence is the value, as in `close {}`). */
  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  /** A length prefix followed by the message, as in a stream of length-delimited messages. */
  delimited(write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    const bytes = inner.finish();
    this.#varint(bytes.length);
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}
