import type { AuditEntry } from "@facerec/client";
import { useState } from "preact/hooks";
import { client, settle, useLoad, value } from "../api.js";
import { Histogram, type Stack, StackedBars } from "../charts.js";
import { Page, Status, Table, tone, usePeople } from "../ui.js";

/**
 * Decisions the overview reads: the newest of the API's identifications and of the cameras' matches,
 * one page of each. At 1,000 a page this is two requests however long the trail is, and a day of a
 * busy camera still fits.
 */
const DECISIONS_READ = 1000;
const DECIDING = ["identify", "match"];
const HOURS = 24;

/** The camera a decision was made for; "API" for a call that named none. */
const sourceOf = (e: AuditEntry) => e.camera || "API";

function percentile(sorted: number[], p: number): number | undefined {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : undefined;
}

/** Counts per hour over the last HOURS hours, stacked by tone. */
function hourly(entries: AuditEntry[], now: number): Stack[] {
  const start = Math.floor(now / 3_600_000) - HOURS + 1;
  const columns = Array.from({ length: HOURS }, (_, i) => ({
    label: `${String(new Date((start + i) * 3_600_000).getHours()).padStart(2, "0")}h`,
    counts: { good: 0, bad: 0, neutral: 0 } as Record<string, number>,
  }));
  for (const e of entries) {
    const column = columns[Math.floor(Date.parse(e.time ?? "") / 3_600_000) - start];
    if (column) column.counts[tone(e.decision)] = (column.counts[tone(e.decision)] ?? 0) + 1;
  }
  return columns.map((c) => ({
    label: c.label,
    parts: ["good", "bad", "neutral"].map((t) => ({ tone: t, count: c.counts[t] ?? 0 })),
  }));
}

export function OverviewPage() {
  const people = usePeople();
  const [camera, setCamera] = useState("");
  const [status] = useLoad(() => value(settle(client.GET("/v1/status"))), []);
  const [chain] = useLoad(() => value(settle(client.GET("/v1/audit/verify"))), []);
  const [decisions] = useLoad(async () => {
    const pages = await Promise.all(
      DECIDING.map((operation) =>
        value(settle(client.GET("/v1/audit", { params: { query: { operation, order: "newest", pageSize: DECISIONS_READ } } }))),
      ),
    );
    const entries = pages.flatMap((p) => p.entries ?? []).sort((a, b) => (b.sequence ?? 0) - (a.sequence ?? 0));
    // A page cut short (the trail reads a bounded stretch per query) has more behind it: said, not hidden.
    return { entries, more: pages.some((p) => p.nextPageToken) };
  }, []);
  const s = status.state === "ready" ? status.value : undefined;
  const jobs = Object.entries(s?.jobs ?? {})
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
  const entries = decisions.state === "ready" ? decisions.value.entries : [];
  const more = decisions.state === "ready" && decisions.value.more;
  const sources = [...new Set(entries.map(sourceOf))].sort();
  const shown = camera ? entries.filter((e) => sourceOf(e) === camera) : entries;
  const latencies = shown.flatMap((e) => (e.latencyMs === undefined ? [] : [e.latencyMs])).sort((a, b) => a - b);
  const scores = shown.flatMap((e) => (e.scores?.length ? [e.scores[0] as number] : []));
  // The tenant's global threshold, as a subject's page reads it (the list does not carry it).
  const first = people.list[0]?.id;
  const [subject] = useLoad(
    async () => (first ? value(settle(client.GET("/v1/subjects/{id}", { params: { path: { id: first } } }))) : undefined),
    [first],
  );
  const threshold = subject.state === "ready" ? subject.value?.threshold?.global : undefined;
  const ms = (v: number | undefined) => (v === undefined ? "-" : `${Math.round(v)} ms`);

  return (
    <Page
      title="Overview"
      intro="The tenant at a glance: its gallery and review queue, the last day's decisions, and whether its audit trail holds."
    >
      {status.state === "failed" ? (
        <Status id="status-result" text={status.error} error />
      ) : (
        <Status
          id="status-result"
          text={
            s
              ? `${s.subjects} subject(s), ${s.templates} template(s); ${s.reviewClusters} group(s) to review; ${s.webhooks} webhook(s); model ${s.models?.join(", ")}; audit ${s.auditWritable ? "writable" : "NOT writable: changes are refused"}${jobs ? `; jobs: ${jobs}` : ""}`
              : "loading"
          }
          error={s ? !s.auditWritable : false}
        />
      )}
      <dl class="cards">
        <div>
          <dt>People</dt>
          <dd id="card-people">{s?.subjects ?? "-"}</dd>
        </div>
        <div>
          <dt>To review</dt>
          <dd id="card-review">
            <a href="#/review">{s?.reviewClusters ?? "-"} group(s)</a>
          </dd>
        </div>
        <div>
          <dt>Identify p50 / p99</dt>
          <dd id="card-latency">
            {ms(percentile(latencies, 0.5))} / {ms(percentile(latencies, 0.99))}
          </dd>
        </div>
        <div>
          <dt>Audit chain</dt>
          <dd id="card-audit" class={chain.state === "ready" && !chain.value.intact ? "error" : undefined}>
            {chain.state === "ready"
              ? chain.value.intact
                ? `intact (${chain.value.entries} entries)`
                : `BROKEN at ${chain.value.firstBroken}: ${chain.value.reason}`
              : chain.state === "failed"
                ? chain.error
                : "checking"}
          </dd>
        </div>
      </dl>
      <h3>Decisions</h3>
      <p>
        <label>
          Camera{" "}
          <select id="overview-camera" value={camera} onChange={(e) => setCamera((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">all</option>
            {sources.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>{" "}
        <span id="overview-count">
          {decisions.state === "failed"
            ? decisions.error
            : `${shown.length} of the newest ${entries.length} decisions${more ? ` (the newest read: there are more)` : ""}`}
        </span>
      </p>
      <StackedBars
        id="chart-hourly"
        title={`Decisions per hour, last ${HOURS} hours: matches, refusals, unknown`}
        columns={hourly(shown, Date.now())}
        every={3}
      />
      <Histogram id="chart-scores" title="Best score per decision against the threshold" values={scores} marker={threshold} />
      <Table
        caption="Decisions by camera and outcome"
        columns={["camera", "match", "unknown", "refused"]}
        bodyId="overview-sources"
        compact
      >
        {sources.map((c) => {
          const mine = entries.filter((e) => sourceOf(e) === c);
          const count = (t: string) => mine.filter((e) => tone(e.decision) === t).length;
          return (
            <tr key={c}>
              <th scope="row">{c}</th>
              <td>{count("good")}</td>
              <td>{count("neutral")}</td>
              <td>{count("bad")}</td>
            </tr>
          );
        })}
      </Table>
    </Page>
  );
}
