// Small pieces every page uses: a status line, the tenant's people by id, times and scores as people read them.
import type { Subject } from "@facerec/client";
import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** A line that says what happened; screen readers announce it (role=status). */
export function Status({ id, text, error }: { id: string; text: string; error?: boolean | undefined }) {
  return (
    <p id={id} role="status" class={error ? "error" : undefined}>
      {text}
    </p>
  );
}

export interface People {
  /** The tenant's subjects as the list last read them. */
  list: Subject[];
  byId: Map<string, Subject>;
  /** Read the list again (after enrolment, assignment or erasure). */
  reload: () => void;
}

export const PeopleContext = createContext<People>({ list: [], byId: new Map(), reload: () => undefined });
export const usePeople = () => useContext(PeopleContext);

/** A subject's name where it is known, else its id. */
export function nameOf(people: People, id: string | undefined): string {
  return id ? (people.byId.get(id)?.name ?? id) : "";
}

export const when = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : "");
export const score = (s: number | undefined): string => (s === undefined ? "" : s.toFixed(2));

/** The colour class of an outcome or decision: a match, a refusal, or neither. */
export function tone(outcome: string | undefined): string {
  if (outcome === "match" || outcome === "verified" || outcome === "enrolled") return "good";
  if (outcome?.startsWith("rejected")) return "bad";
  return "neutral";
}

export function Page({ title, intro, children }: { title: string; intro?: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title" tabIndex={-1}>
        {title}
      </h2>
      {intro ? <p class="intro">{intro}</p> : null}
      {children}
    </section>
  );
}

/** A table with its column headings; `bodyId` names its body, which holds `children` (rows). */
export function Table(props: {
  caption?: string;
  columns: string[];
  bodyId: string;
  compact?: boolean;
  children: ComponentChildren;
}) {
  return (
    // Focusable, so that a table wider than a phone can be scrolled from the keyboard.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus (WCAG 2.1.1)
    <section class="scroll" tabIndex={0} aria-label={props.caption ?? "table"}>
      <table class={props.compact ? "compact" : undefined}>
        {props.caption ? <caption>{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody id={props.bodyId}>{props.children}</tbody>
      </table>
    </section>
  );
}

/** A page whose data has not come (or failed): its title and a status line saying which. */
export function Pending({ title, id, error }: { title: string; id: string; error?: string | undefined }) {
  return (
    <Page title={title}>
      <Status id={id} text={error ?? "loading"} error={error !== undefined} />
    </Page>
  );
}
