// The agent never sees a secret the seed injected, even one a service echoes back: every form of
// it that can appear in a result (as sent, and escaped inside a JSON string) is replaced.
export const REDACTED = "[secret removed by the seed]";

export function redact(text: string, secret: string | null): string {
  if (!secret || secret.length < 4) return text;
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  let out = text;
  for (const f of forms) out = out.split(f).join(REDACTED);
  return out;
}
