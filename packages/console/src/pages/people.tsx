import { useEffect, useRef, useState } from "preact/hooks";
import { client, errorText, settle, useFace } from "../api.js";
import { Page, Status, usePeople } from "../ui.js";

/** Cards drawn at once: a screenful many times over, and a page that stays quick with 10,000 people. */
const SHOWN = 120;

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join("");

/**
 * A person's face where a crop is kept, else their initials. Asked for only once the card is on screen:
 * each face is a request, and a grid of 120 would spend a fifth of a key's minute of requests.
 */
function Avatar({ id, name }: { id: string; name: string }) {
  const card = useRef<HTMLSpanElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const watch = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setSeen(true);
        watch.disconnect();
      }
    });
    if (card.current) watch.observe(card.current);
    return () => watch.disconnect();
  }, []);
  const url = useFace(seen ? { subject: id } : undefined);
  return (
    <span class="avatar" ref={card}>
      {url ? <img src={url} width={64} height={64} alt="" /> : <span aria-hidden="true">{initials(name)}</span>}
    </span>
  );
}

function EnrolForm() {
  const people = usePeople();
  const [result, setResult] = useState({ text: "", error: false });
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = (form.elements.namedItem("enrol-name") as HTMLInputElement).value;
    const files = (form.elements.namedItem("enrol-photos") as HTMLInputElement).files ?? [];
    setResult({ text: "enrolling", error: false });
    const created = await settle(client.POST("/v1/subjects", { body: { name } }));
    if (!created.ok) return setResult({ text: errorText(created.error), error: true });
    const photos = new FormData();
    for (const file of files) photos.append("images", file);
    const enrolled = await settle(
      client.POST("/v1/subjects/{id}/enroll", { params: { path: { id: created.value.id as string } }, body: photos as never }),
    );
    if (!enrolled.ok) {
      // Not left behind as a person with no face (nor made twice on a retry): the new subject goes again.
      await settle(client.DELETE("/v1/subjects/{id}", { params: { path: { id: created.value.id as string } } }));
      return setResult({ text: `${errorText(enrolled.error)} (${name} was not enrolled)`, error: true });
    }
    const refused = (enrolled.value.rejected ?? []).map((r) => `photo ${(r.index ?? 0) + 1}: ${r.reason}`).join("; ");
    setResult({
      text: `Enrolled ${created.value.name}: ${enrolled.value.templateIds?.length ?? 0} template(s)${refused ? `; refused ${refused}` : ""}`,
      error: false,
    });
    form.reset();
    people.reload();
  };
  return (
    <form id="enrol-form" onSubmit={submit} class="inline">
      <label>
        Name <input id="enrol-name" name="enrol-name" required maxLength={200} />
      </label>
      <label>
        Photos <input id="enrol-photos" name="enrol-photos" type="file" accept="image/*" multiple required />
      </label>
      <button type="submit">Enrol</button>
      <Status id="enrol-result" text={result.text} error={result.error} />
    </form>
  );
}

export function PeoplePage() {
  const people = usePeople();
  const [query, setQuery] = useState("");
  const [limit, setLimit] = useState(SHOWN);
  const q = query.trim().toLowerCase();
  const matching = q ? people.list.filter((p) => p.name?.toLowerCase().includes(q) || p.id === query.trim()) : people.list;
  return (
    <Page
      title="People"
      intro="Everyone enrolled in this tenant. Open a person for what is held about them, their decisions, export and erasure."
    >
      <h3>Enrol someone</h3>
      <EnrolForm />
      <h3>Enrolled</h3>
      <label>
        Search{" "}
        <input
          id="people-search"
          type="search"
          value={query}
          placeholder="name or id"
          onInput={(e) => {
            setQuery((e.currentTarget as HTMLInputElement).value);
            setLimit(SHOWN);
          }}
        />
      </label>{" "}
      <span id="people-count" role="status">
        {matching.length} of {people.list.length} people
      </span>
      <ul id="subjects" class="grid">
        {matching.slice(0, limit).map((p) => (
          <li key={p.id}>
            <a href={`#/people/${encodeURIComponent(p.id as string)}`} class="person">
              <Avatar id={p.id as string} name={p.name ?? "?"} />
              <span class="name">{p.name}</span>
              <span class="muted">since {p.createdAt ? new Date(p.createdAt).toLocaleDateString() : "-"}</span>
            </a>
          </li>
        ))}
      </ul>
      {matching.length > limit ? (
        <button type="button" id="people-more" onClick={() => setLimit(limit + SHOWN)}>
          Show {Math.min(SHOWN, matching.length - limit)} more
        </button>
      ) : null}
    </Page>
  );
}
