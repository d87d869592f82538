import { useEffect, useRef, useState } from "preact/hooks";
import { client, errorText, settle, value } from "../api.js";
import { nameOf, Page, Status, usePeople } from "../ui.js";

/** Frames a second sent while the person answers, and how long they have: five a second for 15 s. */
const FRAME_MS = 200;
const CHALLENGE_MS = 15_000;

export function CheckPage() {
  const people = usePeople();
  const video = useRef<HTMLVideoElement>(null);
  // Leaving the page ends a check under way: the camera goes off and no more frames are sent.
  const left = useRef(new AbortController());
  useEffect(() => () => left.current.abort(), []);
  const [subjectId, setSubjectId] = useState("");
  const [running, setRunning] = useState(false);
  const [steps, setSteps] = useState<{ prompt: string; done: boolean }[]>([]);
  const [progress, setProgress] = useState("");
  const [result, setResult] = useState({ text: "", error: false });

  // The active liveness check: the camera's frames until every asked action is seen.
  const start = async () => {
    const v = video.current as HTMLVideoElement;
    let stream: MediaStream | undefined;
    setRunning(true);
    setResult({ text: "", error: false });
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      v.srcObject = stream;
      v.hidden = false;
      await v.play();
      const challenge = await value(settle(client.POST("/v1/liveness/challenges", { body: subjectId ? { subjectId } : {} })));
      const actions = challenge.actions ?? [];
      setSteps((challenge.prompts ?? []).map((prompt) => ({ prompt, done: false })));
      const canvas = document.createElement("canvas");
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const until = Date.now() + CHALLENGE_MS;
      const id = challenge.id as string;
      for (let sent = 0; sent < (challenge.maxFrames ?? 0) && Date.now() < until && !left.current.signal.aborted; sent++) {
        const next = Date.now() + FRAME_MS;
        canvas.getContext("2d")?.drawImage(v, 0, 0);
        const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
        const form = new FormData();
        form.append("image", blob as Blob, "frame.jpg");
        const frame = await value(
          settle(client.POST("/v1/liveness/challenges/{id}/frames", { params: { path: { id } }, body: form as never })),
        );
        setSteps(
          (challenge.prompts ?? []).map((prompt, i) => ({ prompt, done: (frame.observed ?? []).includes(actions[i] as never) })),
        );
        setProgress(
          `frame ${frame.frame}: ${frame.faces === 1 ? "face seen" : frame.faces === 0 ? "no face" : `${frame.faces} faces`}`,
        );
        if (frame.complete) break;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
      }
      if (left.current.signal.aborted) return;
      const verdict = await settle(client.POST("/v1/liveness/challenges/{id}/result", { params: { path: { id } } }));
      if (!verdict.ok) return setResult({ text: errorText(verdict.error), error: true });
      const r = verdict.value;
      const who = r.subject
        ? `; ${r.subject.match ? "it is" : "it is not"} ${nameOf(people, r.subject.subjectId)} (score ${r.subject.score?.toFixed(2)}, threshold ${r.subject.threshold?.toFixed(2)})`
        : "";
      const passed = r.live && (r.subject?.match ?? true);
      setResult({ text: r.live ? `Live: ${r.detail}${who}` : `Not live (${r.reason}): ${r.detail}`, error: !passed });
    } catch (error) {
      setResult({ text: error instanceof Error ? error.message : String(error), error: true });
    } finally {
      for (const track of stream?.getTracks() ?? []) track.stop();
      v.hidden = true;
      setRunning(false);
    }
  };

  return (
    <Page
      title="Liveness check"
      intro="Asks the person at this computer's camera to turn or close their eyes, and judges from the camera's frames whether a live person answered. Frames go to the server one at a time; it keeps each frame's head pose, never the frame."
    >
      <div class="inline">
        <label>
          Person{" "}
          <select
            id="challenge-subject"
            value={subjectId}
            onChange={(e) => setSubjectId((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">anyone</option>
            {people.list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <button id="challenge-start" type="button" disabled={running} onClick={start}>
          Start
        </button>
      </div>
      <ol id="challenge-steps">
        {steps.map((s) => (
          <li key={s.prompt} class={s.done ? "done" : undefined}>
            {s.prompt}
          </li>
        ))}
      </ol>
      <video id="challenge-video" ref={video} autoplay muted playsInline width={320} height={240} hidden />
      <Status id="challenge-progress" text={progress} />
      <Status id="challenge-result" text={result.text} error={result.error} />
    </Page>
  );
}
