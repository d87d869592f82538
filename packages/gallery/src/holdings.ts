import type { StoredTemplate, Subject, Template } from "./gallery-store.js";

/** Two names as one map key: a tenant and a subject id, or a tenant and a model (a partition). */
export const keyOf = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

export function withoutVector(t: Template): Template {
  const { vector: _, ...template } = t as StoredTemplate;
  return template;
}

/**
 * What one Gallery replica holds of its store in memory: the subjects, and their templates without
 * their vectors (the index holds those), each under its tenant and id together, so that no lookup
 * reaches another tenant's. The Gallery changes it after the store has a change, or as another
 * replica's change arrives.
 */
export class Holdings {
  private readonly subjects = new Map<string, Subject>();
  private readonly templates = new Map<string, Template[]>();

  subject(tenant: string, id: string): Subject | undefined {
    return this.subjects.get(keyOf(tenant, id));
  }

  setSubject(subject: Subject): void {
    this.subjects.set(keyOf(subject.tenant, subject.id), subject);
  }

  subjectsOf(tenant: string): Subject[] {
    return [...this.subjects.values()].filter((s) => s.tenant === tenant);
  }

  /** The subject's templates, its negatives included. */
  templatesOf(tenant: string, subject: string): readonly Template[] {
    return this.templates.get(keyOf(tenant, subject)) ?? [];
  }

  /** Add templates (without their vectors), skipping those already held: a change can arrive twice. */
  addTemplates(templates: readonly Template[]): void {
    for (const t of templates) {
      const k = keyOf(t.tenant, t.subject);
      const list = this.templates.get(k) ?? [];
      if (list.some((x) => x.id === t.id)) continue;
      list.push(withoutVector(t));
      this.templates.set(k, list);
    }
  }

  /** Forget a subject and its templates; returns the templates it had. */
  drop(tenant: string, subject: string): readonly Template[] {
    const k = keyOf(tenant, subject);
    const held = this.templates.get(k) ?? [];
    this.subjects.delete(k);
    this.templates.delete(k);
    return held;
  }

  /** The subjects with templates in each partition, under keyOf(tenant, model). */
  subjectsByPartition(): Map<string, string[]> {
    const out = new Map<string, Set<string>>();
    for (const list of this.templates.values()) {
      for (const t of list) {
        const k = keyOf(t.tenant, t.model);
        out.set(k, (out.get(k) ?? new Set()).add(t.subject));
      }
    }
    return new Map([...out].map(([k, v]) => [k, [...v]]));
  }

  stats(): { subjects: number; templates: number } {
    let templates = 0;
    for (const list of this.templates.values()) templates += list.length;
    return { subjects: this.subjects.size, templates };
  }
}
