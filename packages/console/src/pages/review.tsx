import type { Answer, ReviewCluster } from "@facerec/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { client, errorText, settle, useFace, useLoad, value } from "../api.js";
import { nameOf, Page, Status, usePeople, when } from "../ui.js";

type Face = NonNullable<Answer<"getReviewCluster">["faces"]>[number];

/** Groups a page shows: each reads its faces and a few crops, so a page costs about 4 requests a group. */
const PAGE = 20;
/** Crops a group shows closed; opened, up to FACES_OPEN. */
const FACES_CLOSED = 3;
const FACES_OPEN = 12;

function Crop({ face }: { face: Face }) {
  const url = useFace(face.hasCrop && face.id ? { review: face.id } : undefined);
  const people = usePeople();
  const closeCall = face.outcome === "match" ? `close call: ${nameOf(people, face.subjectId)}` : "";
  return (
    <figure class={closeCall ? "close-call" : undefined}>
      {url ? (
        <img src={url} width={112} height={112} alt={`face seen at ${face.camera}, ${when(face.time)}`} />
      ) : (
        <div class="no-crop">no crop</div>
      )}
      <figcaption>
        {face.camera}, {when(face.time)}
        {closeCall ? <strong> · {closeCall}</strong> : null}
      </figcaption>
    </figure>
  );
}

interface GroupProps {
  cluster: ReviewCluster;
  selected: boolean;
  onSelect: (on: boolean) => void;
  onDone: (text: string, error?: boolean) => void;
}

function Group({ cluster, selected, onSelect, onDone }: GroupProps) {
  const people = usePeople();
  const id = cluster.id as string;
  const [open, setOpen] = useState(false);
  const [faces] = useLoad(
    async () => (await value(settle(client.GET("/v1/review/clusters/{id}", { params: { path: { id } } })))).faces ?? [],
    [id],
  );
  // Newest first: the latest sighting is the one an operator may remember, and where crops are kept.
  const list = faces.state === "ready" ? [...faces.value].sort((a, b) => (b.time ?? "").localeCompare(a.time ?? "")) : [];
  const closeCalls = list.filter((f) => f.outcome === "match").length;

  const assign = async (event: Event) => {
    event.preventDefault();
    const wanted = ((event.currentTarget as HTMLFormElement).elements.namedItem("name") as HTMLInputElement).value.trim();
    if (!wanted) return onDone("type a name first", true);
    // An existing subject's name adds the faces to it; any other name makes a new subject.
    const existing = people.list.find((p) => p.name === wanted)?.id;
    const r = await settle(
      client.POST("/v1/review/clusters/{id}/assign", {
        params: { path: { id } },
        body: existing ? { subjectId: existing } : { name: wanted },
      }),
    );
    if (!r.ok) return onDone(errorText(r.error), true);
    people.reload();
    onDone(
      `Assigned to ${r.value.subject?.name}: ${r.value.templates} template(s)${r.value.skipped ? `, ${r.value.skipped} below the quality floor` : ""}`,
    );
  };
  const dismiss = async () => {
    const r = await settle(client.DELETE("/v1/review/clusters/{id}", { params: { path: { id } } }));
    onDone(r.ok ? `Dismissed ${r.value.faces} face(s)` : errorText(r.error), !r.ok);
  };

  return (
    <li class={`group${selected ? " selected" : ""}`} data-cluster={id} tabIndex={-1}>
      <div class="group-head">
        <label class="select">
          <input type="checkbox" checked={selected} onChange={(e) => onSelect((e.currentTarget as HTMLInputElement).checked)} />
          <span class="sr-only">select this group</span>
        </label>
        <span class="count">{cluster.faces} face(s)</span>
        <span>{cluster.cameras?.join(", ")}</span>
        <span class="muted">
          {when(cluster.first)} to {when(cluster.last)}
        </span>
        {closeCalls ? <span class="badge">close call</span> : null}
      </div>
      <div class="faces">
        {list.slice(0, open ? FACES_OPEN : FACES_CLOSED).map((f) => (
          <Crop key={f.id} face={f} />
        ))}
        {list.length > FACES_CLOSED ? (
          <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? "fewer" : `all ${Math.min(list.length, FACES_OPEN)}${list.length > FACES_OPEN ? ` of ${list.length}` : ""}`}
          </button>
        ) : null}
      </div>
      <form class="inline" onSubmit={assign}>
        <input
          name="name"
          maxLength={200}
          placeholder="name"
          list="review-people"
          aria-label={`name for the ${cluster.faces} faces last seen ${when(cluster.last)}`}
        />
        <button type="submit">Assign</button>
        <button type="button" onClick={dismiss}>
          Dismiss
        </button>
      </form>
    </li>
  );
}

export function ReviewPage() {
  const people = usePeople();
  const [offset, setOffset] = useState(0);
  const [result, setResult] = useState({ text: "", error: false });
  const [selected, setSelected] = useState(new Set<string>());
  const [page, reload] = useLoad(
    () => value(settle(client.GET("/v1/review/clusters", { params: { query: { limit: PAGE, offset } } }))),
    [offset],
  );
  const list = useRef<HTMLOListElement>(null);
  const clusters = page.state === "ready" ? (page.value.clusters ?? []) : [];
  const total = page.state === "ready" ? (page.value.total ?? 0) : 0;

  const done = (text: string, error = false) => {
    setResult({ text, error });
    setSelected(new Set());
    reload();
  };

  // Keyboard first: j and k move between groups (to their name field), x selects one; in a name
  // field Enter assigns and Escape goes back to its group, where j and k go on.
  useEffect(() => {
    const keys = (event: KeyboardEvent) => {
      // Browser and system shortcuts (Ctrl+K, Cmd+J...) and text being composed are not ours.
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      const inputs = [...(list.current?.querySelectorAll<HTMLInputElement>("input[name=name]") ?? [])];
      const at = inputs.indexOf(document.activeElement as HTMLInputElement);
      if (event.key === "Escape" && at >= 0) return (inputs[at]?.closest("li.group") as HTMLElement | null)?.focus();
      if (at >= 0 || (event.target as HTMLElement).closest("input, select, textarea")) return;
      const focused = (document.activeElement as HTMLElement | null)?.closest("li.group");
      const current = focused ? [...(list.current?.children ?? [])].indexOf(focused) : -1;
      if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        const next = Math.max(0, Math.min(inputs.length - 1, current + (event.key === "j" ? 1 : -1)));
        inputs[next]?.focus();
      } else if (event.key === "x" && focused) {
        const id = (focused as HTMLElement).dataset.cluster as string;
        setSelected((old) => {
          const next = new Set(old);
          if (!next.delete(id)) next.add(id);
          return next;
        });
      }
    };
    addEventListener("keydown", keys);
    return () => removeEventListener("keydown", keys);
  }, []);

  /** Another page of groups: what was selected on this one is not carried to groups out of sight. */
  const turn = (to: number) => {
    setSelected(new Set());
    setOffset(to);
  };

  /**
   * The selected groups named as one person (the queue cannot merge groups by itself): the first makes
   * or finds the person, the rest are added to them.
   */
  const nameSelected = async (event: Event) => {
    event.preventDefault();
    const wanted = ((event.currentTarget as HTMLFormElement).elements.namedItem("together") as HTMLInputElement).value.trim();
    if (!wanted) return done("type a name first", true);
    let subjectId = people.list.find((p) => p.name === wanted)?.id;
    let templates = 0;
    for (const id of selected) {
      const r = await settle(
        client.POST("/v1/review/clusters/{id}/assign", {
          params: { path: { id } },
          body: subjectId ? { subjectId } : { name: wanted },
        }),
      );
      if (!r.ok) return done(errorText(r.error), true);
      subjectId = r.value.subject?.id;
      templates += r.value.templates ?? 0;
    }
    people.reload();
    done(`Named ${selected.size} group(s) as ${wanted}: ${templates} template(s)`);
  };

  const dismissSelected = async () => {
    let faces = 0;
    for (const id of selected) {
      const r = await settle(client.DELETE("/v1/review/clusters/{id}", { params: { path: { id } } }));
      if (!r.ok) return done(errorText(r.error), true);
      faces += r.value.faces ?? 0;
    }
    done(`Dismissed ${selected.size} group(s), ${faces} face(s)`);
  };

  return (
    <Page
      title="Review"
      intro="Unknown faces and close calls, grouped by person as they were seen. Name a group to enrol it (an existing name adds to that person), or dismiss it. Crops show only where the deployment retains them (FACEREC_RETAIN_CROPS=1)."
    >
      <p class="keys">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous group, type a name and <kbd>Enter</kbd> to assign, <kbd>Esc</kbd> then{" "}
        <kbd>x</kbd> to select.
      </p>
      <Status
        id="review-result"
        text={page.state === "failed" ? page.error : result.text || `${total} group(s) to review`}
        error={page.state === "failed" || result.error}
      />
      <datalist id="review-people">
        {people.list.slice(0, 1000).map((p) => (
          <option key={p.id} value={p.name} />
        ))}
      </datalist>
      <div class="inline">
        <form id="review-together" class="inline" onSubmit={nameSelected}>
          <input
            name="together"
            maxLength={200}
            placeholder="name"
            list="review-people"
            aria-label="one name for the selected groups"
          />
          <button type="submit" disabled={selected.size === 0}>
            Name {selected.size} selected as one person
          </button>
        </form>
        <button type="button" id="review-dismiss-selected" disabled={selected.size === 0} onClick={dismissSelected}>
          Dismiss {selected.size} selected
        </button>
        <button type="button" disabled={offset === 0} onClick={() => turn(Math.max(0, offset - PAGE))}>
          Newer groups
        </button>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => turn(offset + PAGE)}>
          Older groups
        </button>
        <span class="muted">{total ? `${offset + 1}-${Math.min(total, offset + PAGE)} of ${total}` : ""}</span>
      </div>
      <ol id="review-rows" class="groups" ref={list}>
        {clusters.map((c) => (
          <Group
            key={c.id}
            cluster={c}
            selected={selected.has(c.id as string)}
            onSelect={(on) => {
              const next = new Set(selected);
              if (on) next.add(c.id as string);
              else next.delete(c.id as string);
              setSelected(next);
            }}
            onDone={done}
          />
        ))}
      </ol>
    </Page>
  );
}
