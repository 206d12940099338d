// The two encodings of Hrana over HTTP behind one interface: JSON (`v2/…`, `v3/…`) and Protobuf
// (`v3-protobuf/…`). Errors that end a whole request are always JSON: the official client parses
// an error body only when it is `application/json`, whatever the endpoint's encoding.
import { ProtocolError } from "./errors.ts";
import { encodeCursorJson, encodePipelineJson } from "./hrana-json-encode.ts";
import { batonOf, decodeCursor, decodePipeline } from "./hrana-json-decode.ts";
import { batonOfProto, decodeCursorProto, decodePipelineProto } from "./hrana-protobuf-decode.ts";
import { encodeCursorProto, encodePipelineProto } from "./hrana-protobuf-encode.ts";
import type { CursorRequest, CursorResponse, PipelineRequest, PipelineResponse } from "./hrana-types.ts";

export interface HranaCodec {
  readonly pipelineType: string;
  readonly cursorType: string;
  /** Decodes a body; on failure throws ProtocolError carrying the baton it could still read. */
  decodePipeline(body: Buffer): PipelineRequest;
  decodeCursor(body: Buffer): CursorRequest;
  encodePipeline(response: PipelineResponse): string | Uint8Array;
  encodeCursor(response: CursorResponse): string | Uint8Array;
}

/** A body that could not be decoded, with the baton of the stream it names (to close it). */
export class UndecodableBodyError extends ProtocolError {
  readonly baton: string | null;
  constructor(cause: ProtocolError, baton: string | null) {
    super(cause.message);
    this.baton = baton;
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new UndecodableBodyError(new ProtocolError("The request body is not valid JSON"), null);
  }
}

function withBaton<T>(decode: () => T, baton: () => string | null): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof ProtocolError && !(error instanceof UndecodableBodyError)) throw new UndecodableBodyError(error, baton());
    throw error;
  }
}

export const jsonCodec: HranaCodec = {
  pipelineType: "application/json",
  cursorType: "text/plain",
  decodePipeline(body) {
    const json = parseJson(body);
    return withBaton(() => decodePipeline(json), () => batonOf(json));
  },
  decodeCursor(body) {
    const json = parseJson(body);
    return withBaton(() => decodeCursor(json), () => batonOf(json));
  },
  encodePipeline: encodePipelineJson,
  encodeCursor: encodeCursorJson,
};

export const protobufCodec: HranaCodec = {
  pipelineType: "application/x-protobuf",
  cursorType: "application/x-protobuf",
  decodePipeline(body) {
    return withBaton(() => decodePipelineProto(body), () => batonOfProto(body));
  },
  decodeCursor(body) {
    return withBaton(() => decodeCursorProto(body), () => batonOfProto(body));
  },
  encodePipeline: encodePipelineProto,
  encodeCursor: encodeCursorProto,
};
