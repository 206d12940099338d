// JSON nesting is limited once, on the text, before anything parses or walks it: the parsers are
// iterative but much that comes after (schema checks, structured clone across RPC, canonical
// forms) recurses, and a few thousand levels end in a RangeError. Used by the HTTP body path
// (workers/http/json-body.ts) and by socket frames alike.

export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in `text`, counted outside strings, stopping as soon
 * as it passes `max` (so the scan costs at most one pass and never more than it must). Text that
 * is not JSON gets some number back; the parser that follows rejects it.
 */
export function jsonDepthOver(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--;
  }
  return false;
}

/** The message every door answers deep JSON with (HTTP 422 `json_too_deep`, or a socket error frame). */
export const JSON_TOO_DEEP = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
