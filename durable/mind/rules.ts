// Rules turn events into work: (source, event type) → a task with a capability, a title rendered
// from the event, a priority and a deadline.
import { randomId } from "../../lib/keys.ts";
import { eventTypeMatches } from "../../lib/mind/event-type.ts";
import { checkTemplate, TemplateError } from "../../lib/mind/template.ts";
import type { Rule, RuleInput } from "../../lib/mind/wire.ts";
import { MindFailure } from "./result.ts";

type RuleRow = { id: string; source: string; event: string; capability: string; title: string; priority: number | null; deadline_in_ms: number | null; created_at: number };

const toRule = (r: RuleRow): Rule => ({
  id: r.id,
  source: r.source,
  event: r.event,
  capability: r.capability,
  title: r.title,
  ...(r.priority === null ? {} : { priority: r.priority }),
  ...(r.deadline_in_ms === null ? {} : { deadlineInMs: r.deadline_in_ms }),
  createdAt: r.created_at,
});

export class Rules {
  readonly sql: SqlStorage;
  readonly now: () => number;

  constructor(sql: SqlStorage, now: () => number) {
    this.sql = sql;
    this.now = now;
  }

  add(input: RuleInput): Rule {
    try {
      checkTemplate(input.title);
    } catch (err) {
      if (err instanceof TemplateError) throw new MindFailure(422, "invalid_template", `title: ${err.message}`);
      throw err;
    }
    const id = `r_${randomId()}`;
    this.sql.exec(
      "INSERT INTO rules (id, source, event, capability, title, priority, deadline_in_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id, input.source, input.event, input.capability, input.title, input.priority ?? null, input.deadlineInMs ?? null, this.now(),
    );
    return toRule(this.sql.exec<RuleRow>("SELECT * FROM rules WHERE id = ?", id).one());
  }

  list(): Rule[] {
    return this.sql.exec<RuleRow>("SELECT * FROM rules ORDER BY created_at, id").toArray().map(toRule);
  }

  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM rules WHERE id = ?", id).rowsWritten > 0;
  }

  matching(source: string, type: string): Rule[] {
    return this.sql
      .exec<RuleRow>("SELECT * FROM rules WHERE source = ? ORDER BY created_at, id", source)
      .toArray()
      .filter((r) => eventTypeMatches(r.event, type))
      .map(toRule);
  }

  capabilities(): string[] {
    return this.sql.exec<{ capability: string }>("SELECT DISTINCT capability FROM rules").toArray().map((r) => r.capability);
  }
}
