import { type AuditEntry, auditEntries, FacerecError } from "@facerec/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { client, download, errorText, settle, useLoad, value } from "../api.js";
import { nameOf, Page, Status, score, Table, usePeople } from "../ui.js";

/** The audit words an operator filters by most (docs/api.md lists every operation's). */
const OPERATIONS = [
  "identify",
  "verify",
  "enroll",
  "create-subject",
  "delete-subject",
  "withdraw-consent",
  "retention-erase",
  "feedback-wrong",
  "review-assign",
  "review-dismiss",
  "review-purge",
  "liveness-challenge",
  "create-key",
  "revoke-key",
  "set-policy",
];
const PAGE = 50;
/** Entries a CSV download holds at most: a month of a busy site, read page by page. */
const CSV_MAX = 10_000;

type Filters = { operation?: string; decision?: string; subjectId?: string };

/**
 * A CSV cell that a spreadsheet shows as text: one that would start a formula (=, +, -, @, a tab or a
 * carriage return: a person's name is free text) gets a leading apostrophe, and quotes, commas and line
 * breaks are quoted.
 */
const csvCell = (v: unknown) => {
  let s = v === undefined || v === null ? "" : String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function AuditPage() {
  const people = usePeople();
  const [filters, setFilters] = useState<Filters>({});
  const [rows, setRows] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string>();
  const [result, setResult] = useState({ text: "", error: false });
  const [chain] = useLoad(() => value(settle(client.GET("/v1/audit/verify"))), []);

  // Each load has a number; an answer to any but the newest is dropped (a filter submitted while an
  // older page loads, a double click on "Older entries").
  const loads = useRef(0);
  const [loading, setLoading] = useState(false);
  const load = async (more: boolean, f = filters) => {
    const mine = ++loads.current;
    setLoading(true);
    const r = await settle(
      client.GET("/v1/audit", {
        params: { query: { ...f, order: "newest", pageSize: PAGE, ...(more && next ? { pageToken: next } : {}) } },
      }),
    );
    if (mine !== loads.current) return;
    setLoading(false);
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    const all = more ? [...rows, ...(r.value.entries ?? [])] : (r.value.entries ?? []);
    setRows(all);
    setNext(r.value.nextPageToken);
    setResult({
      text: `${all.length} entr${all.length === 1 ? "y" : "ies"}, newest first${r.value.nextPageToken ? ", more to load" : ""}`,
      error: false,
    });
  };
  // The newest page once, when the page opens.
  useEffect(() => {
    void load(false);
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const subject = field("audit-subject");
    // A subject may be typed by name (a listed person's) or by id.
    const f: Filters = {
      ...(field("audit-operation") ? { operation: field("audit-operation") } : {}),
      ...(field("audit-decision") ? { decision: field("audit-decision") } : {}),
      ...(subject ? { subjectId: people.list.find((p) => p.name === subject)?.id ?? subject } : {}),
    };
    setFilters(f);
    void load(false, f);
  };

  const csv = async () => {
    const lines = ["sequence,time,operation,decision,subject_id,subject,score,latency_ms,camera,key_id,request_id"];
    try {
      for await (const e of auditEntries(client, { ...filters, order: "newest", pageSize: 1000 })) {
        lines.push(
          [
            e.sequence,
            e.time,
            e.operation,
            e.decision,
            e.subjectId,
            nameOf(people, e.subjectId),
            e.scores?.[0],
            e.latencyMs,
            e.camera,
            e.keyId,
            e.requestId,
          ]
            .map(csvCell)
            .join(","),
        );
        // One past the most says there were more; it is not kept.
        if (lines.length > CSV_MAX + 1) break;
        if (lines.length % 1000 === 1) setResult({ text: `reading: ${lines.length - 1} entries`, error: false });
      }
    } catch (e) {
      return setResult({ text: e instanceof FacerecError ? errorText(e.error) : String(e), error: true });
    }
    const cut = lines.length > CSV_MAX + 1;
    if (cut) lines.pop();
    download("audit.csv", "text/csv", `${lines.join("\n")}\n`);
    setResult({
      text: `Downloaded ${lines.length - 1} entries${cut ? ` (the newest ${CSV_MAX}; there are more)` : ""}`,
      error: false,
    });
  };

  return (
    <Page
      title="Audit"
      intro="Every decision and change of this tenant, newest first, in a hash chain that shows any edit, removal or cut."
    >
      <p id="audit-chain" class={chain.state === "ready" && !chain.value.intact ? "error" : undefined}>
        Chain:{" "}
        {chain.state === "ready"
          ? chain.value.intact
            ? `intact, ${chain.value.entries} entries verified`
            : `BROKEN at entry ${chain.value.firstBroken}: ${chain.value.reason}`
          : chain.state === "failed"
            ? chain.error
            : "checking"}
      </p>
      <form id="audit-form" class="inline" onSubmit={submit}>
        <label>
          Operation{" "}
          <input id="audit-operation" name="audit-operation" maxLength={100} placeholder="any" list="audit-operations" />
        </label>
        <datalist id="audit-operations">
          {OPERATIONS.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
        <label>
          Decision <input id="audit-decision" name="audit-decision" maxLength={100} placeholder="any" />
        </label>
        <label>
          Subject <input id="audit-subject" name="audit-subject" maxLength={200} placeholder="name or id" />
        </label>
        <button type="submit" id="audit-load">
          Filter
        </button>
        <button type="button" id="audit-csv" onClick={csv}>
          Download CSV
        </button>
      </form>
      <Status id="audit-result" text={result.text} error={result.error} />
      <Table columns={["#", "time", "operation", "decision", "subject", "score"]} bodyId="audit-rows">
        {rows.map((e) => (
          <tr key={e.sequence}>
            <td>{e.sequence}</td>
            <td>{e.time}</td>
            <td>{e.operation}</td>
            <td>{e.decision}</td>
            <td>{nameOf(people, e.subjectId)}</td>
            <td>{e.scores?.length ? score(e.scores[0]) : ""}</td>
          </tr>
        ))}
      </Table>
      {next ? (
        <button type="button" id="audit-more" disabled={loading} onClick={() => load(true)}>
          Older entries
        </button>
      ) : null}
    </Page>
  );
}
