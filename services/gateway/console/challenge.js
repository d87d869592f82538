import { $, api, names, show } from "./client.js";

// The active liveness check: the camera's frames, five a second, until every asked action is seen.
const FRAME_MS = 200;
const CHALLENGE_MS = 15_000;
$("challenge-start").addEventListener("click", async () => {
  const button = $("challenge-start");
  const video = $("challenge-video");
  const result = $("challenge-result");
  const progress = $("challenge-progress");
  let stream;
  button.disabled = true;
  show(result, "");
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const subjectId = $("challenge-subject").value;
    const challenge = await api("POST", "/v1/liveness/challenges", subjectId ? JSON.stringify({ subjectId }) : undefined);
    const steps = challenge.prompts.map((prompt) => {
      const li = document.createElement("li");
      li.textContent = prompt;
      return li;
    });
    $("challenge-steps").replaceChildren(...steps);
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const until = Date.now() + CHALLENGE_MS;
    for (let sent = 0; sent < challenge.maxFrames && Date.now() < until; sent++) {
      const next = Date.now() + FRAME_MS;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      const form = new FormData();
      form.append("image", blob, "frame.jpg");
      const frame = await api("POST", `/v1/liveness/challenges/${challenge.id}/frames`, form);
      for (const [i, action] of challenge.actions.entries()) steps[i].classList.toggle("done", frame.observed.includes(action));
      show(
        progress,
        `frame ${frame.frame}: ${frame.faces === 1 ? "face seen" : frame.faces === 0 ? "no face" : `${frame.faces} faces`}`,
      );
      if (frame.complete) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    const verdict = await api("POST", `/v1/liveness/challenges/${challenge.id}/result`);
    const who = verdict.subject
      ? `; ${verdict.subject.match ? "it is" : "it is not"} ${names.get(verdict.subject.subjectId) ?? verdict.subject.subjectId} (score ${verdict.subject.score.toFixed(2)}, threshold ${verdict.subject.threshold.toFixed(2)})`
      : "";
    const passed = verdict.live && (verdict.subject?.match ?? true);
    show(result, verdict.live ? `Live: ${verdict.detail}${who}` : `Not live (${verdict.reason}): ${verdict.detail}`, !passed);
  } catch (error) {
    show(result, error.message, true);
  } finally {
    for (const track of stream?.getTracks() ?? []) track.stop();
    video.hidden = true;
    button.disabled = false;
  }
});
