import { useEffect, useState } from "preact/hooks";
import { client, errorText, settle, useFace } from "../api.js";
import { nameOf, Page, Status, score, tone, usePeople } from "../ui.js";

/** A match event as the stream carries it (proto3 JSON of facerec.v1.MatchEvent). */
interface Decision {
  cropId?: string;
  camera: string;
  outcome: string;
  subjectId?: string;
  subjectName?: string;
  score?: number;
  frameTime?: string;
  decidedAt?: string;
}

/** Decisions a tile keeps, newest first: a glance's worth. */
const PER_CAMERA = 8;

/** The decisions of the match stream (server-sent events, read with fetch so the key goes in a header). */
async function follow(signal: AbortSignal, onDecision: (d: Decision) => void, onState: (text: string, error?: boolean) => void) {
  const r = await settle(client.GET("/v1/matches", { parseAs: "stream", signal }));
  if (!r.ok) return onState(errorText(r.error), true);
  onState("following");
  const reader = (r.value as unknown as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return onState("the stream ended; pause and resume to go on", true);
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("data: ")) continue;
        try {
          onDecision(JSON.parse(line.slice(6)) as Decision);
        } catch {
          // One unreadable event is skipped, not the stream: it holds one of the key's few stream slots.
        }
      }
    }
  } finally {
    // However this ends, the connection goes, and its slot with it.
    await reader.cancel().catch(() => undefined);
  }
}

function Tile({ camera, decisions }: { camera: string; decisions: Decision[] }) {
  const people = usePeople();
  const newest = decisions[0];
  // Faces that went to the review queue (unknown, close calls) have their crop there while crops are
  // retained; a match shows the face the person was enrolled with, beside the name it was matched to.
  const matched = newest?.outcome === "match" && newest.subjectId;
  const face = matched ? { subject: newest.subjectId as string } : newest?.cropId ? { review: newest.cropId } : undefined;
  const crop = useFace(face);
  const who = matched ? `${newest.subjectName ?? nameOf(people, newest.subjectId)} as enrolled` : `the newest face at ${camera}`;
  return (
    <article class="tile" aria-labelledby={`tile-${camera}`}>
      <h3 id={`tile-${camera}`}>{camera}</h3>
      {crop ? <img src={crop} width={112} height={112} alt={who} /> : null}
      <ol id={`live-${camera}`}>
        {decisions.map((d, i) => (
          <li key={d.cropId || `at-${i}`} class={tone(d.outcome)}>
            {new Date(d.frameTime ?? d.decidedAt ?? Date.now()).toLocaleTimeString()}{" "}
            {d.outcome === "match" ? (d.subjectName ?? nameOf(people, d.subjectId)) : d.outcome}
            {d.score ? ` (${score(d.score)})` : ""}
          </li>
        ))}
      </ol>
    </article>
  );
}

export function LivePage() {
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState({ text: "", error: false });
  const [byCamera, setByCamera] = useState(new Map<string, Decision[]>());
  const [filter, setFilter] = useState("");
  const [outcome, setOutcome] = useState("");

  useEffect(() => {
    if (paused) {
      setState({ text: "paused", error: false });
      return;
    }
    const stop = new AbortController();
    follow(
      stop.signal,
      (d) =>
        setByCamera((old) => {
          const next = new Map(old);
          next.set(d.camera, [d, ...(old.get(d.camera) ?? [])].slice(0, PER_CAMERA));
          return next;
        }),
      (text, error = false) => setState({ text, error }),
    ).catch((e: unknown) => {
      if (!stop.signal.aborted) setState({ text: e instanceof Error ? e.message : String(e), error: true });
    });
    return () => stop.abort();
  }, [paused]);

  const cameras = [...byCamera.keys()].filter((c) => c.toLowerCase().includes(filter.trim().toLowerCase())).sort();
  return (
    <Page title="Live" intro="Decisions as they are made, a tile per camera, the newest first.">
      <div class="inline">
        <button type="button" id="live-toggle" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <label>
          Camera{" "}
          <input
            id="live-filter"
            type="search"
            value={filter}
            onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Outcome{" "}
          <select id="live-outcome" value={outcome} onChange={(e) => setOutcome((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option value="match">match</option>
            <option value="unknown">unknown</option>
            <option value="rejected">refused</option>
          </select>
        </label>
      </div>
      <Status id="live-result" text={state.text} error={state.error} />
      <div id="live-cameras" class="wall">
        {cameras.map((c) => (
          <Tile key={c} camera={c} decisions={(byCamera.get(c) ?? []).filter((d) => !outcome || d.outcome.startsWith(outcome))} />
        ))}
      </div>
    </Page>
  );
}
