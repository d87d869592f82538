import type { Answer } from "@facerec/client";
import { useRef, useState } from "preact/hooks";
import { client, errorText, settle } from "../api.js";
import { nameOf, Page, type People, Status, score, usePeople } from "../ui.js";

type Face = NonNullable<Answer<"identify">["faces"]>[number];

const GREEN = "#1db954";
const RED = "#e04848";

function label(people: People, face: Face): string {
  if (face.outcome === "match") return `${face.subjectName ?? nameOf(people, face.subjectId)} (${score(face.score)})`;
  return face.outcome ?? "";
}

/** The photo at full size with each face boxed and labelled, green for a match. */
function draw(canvas: HTMLCanvasElement, bitmap: ImageBitmap, faces: Face[], people: People) {
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const g = canvas.getContext("2d") as CanvasRenderingContext2D;
  g.drawImage(bitmap, 0, 0);
  // Labels read at about 16 CSS pixels however far the photo is scaled down to fit, on a dark
  // backing: on a group photo a label sized by the image was a few pixels tall.
  const px = Math.max(14, Math.round((16 * bitmap.width) / (canvas.getBoundingClientRect().width || bitmap.width)));
  g.lineWidth = Math.max(2, px / 6);
  g.font = `bold ${px}px system-ui`;
  faces.forEach((face, i) => {
    const box = { x: face.box?.x ?? 0, y: face.box?.y ?? 0, width: face.box?.width ?? 0, height: face.box?.height ?? 0 };
    const colour = face.outcome === "match" ? GREEN : RED;
    const text = `${i + 1}. ${label(people, face)}`;
    const y = Math.max(px + 4, box.y - 6);
    g.strokeStyle = colour;
    g.strokeRect(box.x, box.y, box.width, box.height);
    g.fillStyle = "rgba(0, 0, 0, 0.7)";
    g.fillRect(box.x, y - px, g.measureText(text).width + px / 2, px * 1.3);
    g.fillStyle = colour;
    g.fillText(text, box.x + px / 4, y);
  });
}

export function IdentifyPage() {
  const people = usePeople();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [result, setResult] = useState({ text: "", error: false });
  const [answer, setAnswer] = useState<{ faces: Face[]; requestId: string; file: File }>();
  const [marked, setMarked] = useState(new Set<number>());

  const submit = async (event: Event) => {
    event.preventDefault();
    const file = ((event.currentTarget as HTMLFormElement).elements.namedItem("identify-photo") as HTMLInputElement).files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append("image", file);
    setResult({ text: "identifying", error: false });
    // The browser may not draw what the server reads (HEIC, say): the answer still comes, without the picture.
    const [r, bitmap] = await Promise.all([
      settle(client.POST("/v1/identify", { body: form as never })),
      createImageBitmap(file).catch(() => undefined),
    ]);
    if (!r.ok) {
      bitmap?.close();
      return setResult({ text: errorText(r.error), error: true });
    }
    const faces = r.value.faces ?? [];
    setAnswer({ faces, requestId: r.value.requestId ?? "", file });
    setMarked(new Set());
    if (canvas.current && bitmap) draw(canvas.current, bitmap, faces, people);
    bitmap?.close();
    setResult({ text: `${faces.length} face(s)`, error: false });
  };

  // "Not them": corrective feedback on a match, sent with the same photo; that person's look-alikes
  // then need more to be named as the subject.
  const notThem = async (face: Face, i: number) => {
    if (!answer) return;
    const form = new FormData();
    form.append("subjectId", face.subjectId ?? "");
    form.append("verdict", "wrong");
    form.append("decisionId", `${answer.requestId}:${i}`);
    form.append("image", answer.file);
    const r = await settle(client.POST("/v1/feedback", { body: form as never }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    setMarked(new Set([...marked, i]));
    setResult({ text: `Marked: not ${face.subjectName ?? nameOf(people, face.subjectId)}`, error: false });
  };

  return (
    <Page
      title="Identify"
      intro="Name the faces in a photo. Boxes are numbered as the list below; mark a wrong match so that look-alikes need more to be named."
    >
      <form id="identify-form" onSubmit={submit} class="inline">
        <label>
          Photo <input id="identify-photo" name="identify-photo" type="file" accept="image/*" required />
        </label>
        <button type="submit">Identify</button>
      </form>
      <Status id="identify-result" text={result.text} error={result.error} />
      <canvas
        id="identify-canvas"
        ref={canvas}
        width={0}
        height={0}
        aria-label="the photo with each face boxed and numbered"
        role="img"
      />
      <ol id="identify-faces">
        {answer?.faces.map((face, i) => (
          <li key={i} class={face.outcome === "match" ? "good" : "bad"}>
            <span>{label(people, face)}</span>
            {face.reason ? <span class="muted"> {face.reason}</span> : null}
            {face.outcome === "match" ? (
              <>
                {" "}
                <button type="button" disabled={marked.has(i)} onClick={() => notThem(face, i)}>
                  Not {face.subjectName ?? nameOf(people, face.subjectId)}
                </button>
              </>
            ) : null}
          </li>
        ))}
      </ol>
    </Page>
  );
}
