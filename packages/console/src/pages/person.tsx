import { useState } from "preact/hooks";
import { client, download, errorText, settle, useFace, useLoad, value } from "../api.js";
import { type Stack, StackedBars } from "../charts.js";
import { Page, Pending, Status, score, tone, usePeople, when } from "../ui.js";

/** A person's decisions read at once: their newest, enough for a month of a regular's visits. */
const DECISIONS_READ = 500;
const DAYS = 30;
const DECIDING = ["identify", "verify", "match"];

/** Template faces a person's page shows: the newest, a row or two. */
const TEMPLATES_SHOWN = 12;

function Thumb({ subject, template, name }: { subject: string; template: string; name: string }) {
  const url = useFace({ subject, template });
  return url ? (
    <img src={url} width={112} height={112} alt={`${name}: template ${template}`} />
  ) : (
    <div class="no-crop">loading</div>
  );
}

export function PersonPage({ id }: { id: string }) {
  const people = usePeople();
  const [result, setResult] = useState({ text: "", error: false });
  const [erased, setErased] = useState(false);
  const [subject] = useLoad(() => value(settle(client.GET("/v1/subjects/{id}", { params: { path: { id } } }))), [id]);
  const [decisions] = useLoad(
    async () =>
      (
        await value(
          settle(client.GET("/v1/audit", { params: { query: { subjectId: id, order: "newest", pageSize: DECISIONS_READ } } })),
        )
      ).entries ?? [],
    [id],
  );

  if (erased) {
    return (
      <Page title="Erased">
        <Status id="subject-result" text={result.text} error={result.error} />
        <p>
          <a href="#/people">Back to people</a>
        </p>
      </Page>
    );
  }
  if (subject.state !== "ready") {
    return <Pending title="Person" id="subject-result" error={subject.state === "failed" ? subject.error : undefined} />;
  }
  const s = subject.value;
  const entries = decisions.state === "ready" ? decisions.value : [];
  const today = Math.floor(Date.now() / 86_400_000);
  // Decisions only (an enrolment or an export is not a sighting).
  const decided = entries.filter((e) => DECIDING.includes(e.operation ?? ""));
  const days: Stack[] = Array.from({ length: DAYS }, (_, i) => {
    const day = today - DAYS + 1 + i;
    const mine = decided.filter((e) => Math.floor(Date.parse(e.time ?? "") / 86_400_000) === day);
    return {
      label: new Date(day * 86_400_000).toLocaleDateString(undefined, { month: "short", day: "numeric" }),
      parts: ["good", "bad", "neutral"].map((t) => ({ tone: t, count: mine.filter((e) => tone(e.decision) === t).length })),
    };
  });

  const exportIt = async () => {
    const r = await settle(client.GET("/v1/subjects/{id}/export", { params: { path: { id } } }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    download(`${s.name ?? id}-export.json`, "application/json", JSON.stringify(r.value, null, 2));
    setResult({ text: `Exported ${s.name}: what every store holds about them, and their audit entries`, error: false });
  };
  const erase = async () => {
    if (!confirm(`Erase ${s.name} and every template everywhere? This cannot be undone.`)) return;
    const r = await settle(client.DELETE("/v1/subjects/{id}", { params: { path: { id } } }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    setResult({ text: `Erased ${s.name}`, error: false });
    setErased(true);
    people.reload();
  };

  return (
    <Page title={s.name ?? id}>
      <p>
        <a href="#/people">All people</a>
      </p>
      <dl class="facts" id="subject-facts">
        <dt>Templates</dt>
        <dd>{s.templates}</dd>
        <dt>Enrolled</dt>
        <dd>{when(s.createdAt)}</dd>
        <dt>Threshold</dt>
        <dd id="subject-threshold">
          {s.threshold ? `${s.threshold.value?.toFixed(3)}: ${s.threshold.reason}` : "none (no templates)"}
        </dd>
        <dt>Consent</dt>
        <dd id="subject-consent">
          {s.consent
            ? `${s.consent.basis}, given ${when(s.consent.givenAt)}, notice ${s.consent.noticeVersion}, evidence ${s.consent.evidenceRef}`
            : "no consent record"}
        </dd>
      </dl>
      <ul id="subject-templates" class="thumbs" aria-label="the faces kept of the templates">
        {(s.cropTemplates ?? []).slice(0, TEMPLATES_SHOWN).map((t) => (
          <li key={t}>
            <Thumb subject={id} template={t} name={s.name ?? id} />
          </li>
        ))}
      </ul>
      <StackedBars id="subject-chart" title={`Decisions naming ${s.name}, last ${DAYS} days`} columns={days} every={5} />
      <h3>Recent decisions</h3>
      <ol id="subject-decisions">
        {entries.slice(0, 20).map((e) => (
          <li key={e.sequence} class={tone(e.decision)}>
            {when(e.time)} {e.operation}: {e.decision}
            {e.scores?.length ? ` (${score(e.scores[0])})` : ""}
          </li>
        ))}
      </ol>
      <div class="actions">
        <button type="button" id="subject-export" onClick={exportIt}>
          Export (subject access)
        </button>
        <button type="button" id="subject-erase" class="danger" onClick={erase}>
          Erase this person
        </button>
      </div>
      <Status id="subject-result" text={result.text} error={result.error} />
    </Page>
  );
}
