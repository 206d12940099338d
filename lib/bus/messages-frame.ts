// The push frame built from stored JSON text: the Bus keeps each body as the JSON text
// JSON.stringify wrote at publish, and splices it into the frame as it is — parsing each body only
// to serialise it again was a fifth of the push path's CPU (bench/bus.ts profile).
import type { Delivered } from "./wire.ts";

/** A delivery whose body is still the JSON text it was stored as (written by JSON.stringify). */
export type RawDelivered = Omit<Delivered, "body"> & { body: string };

/** The `messages` frame for a socket, with the stored bodies spliced in as they are. */
export function messagesFrame(subscription: string, messages: RawDelivered[]): string {
  const items = messages.map(({ body, ...rest }) => `${JSON.stringify(rest).slice(0, -1)},"body":${body}}`);
  return `{"type":"messages","subscription":${JSON.stringify(subscription)},"messages":[${items.join(",")}]}`;
}
