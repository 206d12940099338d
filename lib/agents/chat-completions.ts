// The model: an OpenAI-compatible `chat/completions` endpoint with `tools` / `tool_calls`,
// reached only through the owner's LLM service binding (egress is otherwise closed). Any server
// that speaks the protocol works: llama.cpp, Ollama, vLLM on the same box, or a hosted one.
import { z } from "zod";
import type { FetcherLike } from "../memory/memory-types.ts";

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

export type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

export type ToolSpec = { type: "function"; function: { name: string; description: string; parameters: Record<string, unknown> } };

export type Completion = { content: string | null; toolCalls: ToolCall[]; tokensIn: number; tokensOut: number; finishReason: string | null };

/** Transient failures (network, 408, 429, 5xx) are retried later; the others fail the task. */
export class ModelError extends Error {
  readonly transient: boolean;
  constructor(message: string, transient: boolean) {
    super(message);
    this.name = "ModelError";
    this.transient = transient;
  }
}

const Answer = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          tool_calls: z
            .array(z.object({ id: z.string().min(1).max(200), type: z.literal("function").optional(), function: z.object({ name: z.string().max(200), arguments: z.string().max(1_000_000).optional() }) }))
            .max(64)
            .nullable()
            .optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().min(0).optional(), completion_tokens: z.number().int().min(0).optional() }).nullable().optional(),
});

export type ModelCall = {
  fetcher: FetcherLike | undefined;
  /** Absolute URL the request is addressed to (its host is the credential's host when there is one). */
  url: string;
  apiKey: string | null;
  model: string;
  /** The conversation, each message already as JSON text (as the agent stores it): it is sent as is. */
  messages: readonly string[];
  tools: ToolSpec[];
  temperature: number | null;
  timeoutMs: number;
};

export async function complete(call: ModelCall): Promise<Completion> {
  if (!call.fetcher) throw new ModelError("no LLM service is configured (seed services set LLM --url …, then restart)", false);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (call.apiKey) headers.Authorization = `Bearer ${call.apiKey}`;
  const fields: Record<string, unknown> = { model: call.model };
  if (call.tools.length > 0) Object.assign(fields, { tools: call.tools, tool_choice: "auto" });
  if (call.temperature !== null) fields.temperature = call.temperature;
  // The conversation grows by a message or two per step: its stored JSON is spliced in rather
  // than parsed and serialised again at every turn.
  const body = `${JSON.stringify(fields).slice(0, -1)},"messages":[${call.messages.join(",")}]}`;
  let res: Response;
  try {
    res = await call.fetcher.fetch(call.url, { method: "POST", headers, body, signal: AbortSignal.timeout(Math.max(1, call.timeoutMs)) });
  } catch (err) {
    const name = err instanceof Error ? err.name : "error";
    throw new ModelError(name === "TimeoutError" ? "the model did not answer in time" : `the LLM endpoint is unreachable (${name})`, true);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ModelError(`the LLM endpoint answered ${res.status}`, res.status === 408 || res.status === 429 || res.status >= 500);
  }
  const parsed = Answer.safeParse(await res.json().catch(() => null));
  if (!parsed.success) throw new ModelError("the LLM endpoint's answer is not a chat completion", false);
  const choice = parsed.data.choices[0]!;
  const toolCalls = (choice.message.tool_calls ?? []).map((t) => ({ id: t.id, type: "function" as const, function: { name: t.function.name, arguments: t.function.arguments ?? "{}" } }));
  return {
    content: choice.message.content ?? null,
    toolCalls,
    tokensIn: parsed.data.usage?.prompt_tokens ?? 0,
    tokensOut: parsed.data.usage?.completion_tokens ?? 0,
    finishReason: choice.finish_reason ?? null,
  };
}
