// Reading a frame a client sent on its bus WebSocket: the same limits and named schemas as the
// HTTP routes (size, JSON depth, topic and subscription names, batch and body rules), checked
// before anything acts on it.
import { JSON_TOO_DEEP, jsonDepthOver } from "../json-depth.ts";
import { issueMessage } from "../zod-issue.ts";
import { fastFrame } from "./frame-fast.ts";
import { ClientFrame, MAX_FRAME_BYTES } from "./wire.ts";

export type FrameError = { status: 400 | 413 | 422; code: string; message: string };
export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: FrameError };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function parseFrame(data: string | ArrayBuffer): ParsedFrame {
  const bytes = typeof data === "string" ? (data.length * 3 <= MAX_FRAME_BYTES ? data.length : encoder.encode(data).byteLength) : data.byteLength;
  if (bytes > MAX_FRAME_BYTES) return fail(413, "frame_too_large", `a frame is at most ${MAX_FRAME_BYTES} bytes`);
  const text = typeof data === "string" ? data : decoder.decode(data);
  if (jsonDepthOver(text)) return fail(422, "json_too_deep", JSON_TOO_DEEP);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(400, "invalid_json", "frame is not valid JSON");
  }
  const fast = fastFrame(value);
  if (fast) return { ok: true, frame: fast };
  const r = ClientFrame.safeParse(value);
  if (!r.success) return fail(422, "invalid_frame", issueMessage("frame", r.error));
  return { ok: true, frame: r.data };
}

function fail(status: FrameError["status"], code: string, message: string): ParsedFrame {
  return { ok: false, error: { status, code, message } };
}
