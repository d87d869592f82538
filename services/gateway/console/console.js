// The web console: talks to the same REST API as any client, with the key the operator types in.
import { $, api, names, show } from "./client.js";

const keyInput = $("key");
keyInput.value = sessionStorage.getItem("facerec-key") ?? "";
keyInput.addEventListener("change", () => {
  sessionStorage.setItem("facerec-key", keyInput.value);
  loadSubjects();
  loadStatus();
});

async function loadSubjects() {
  const list = $("subjects");
  try {
    const { subjects } = await api("GET", "/v1/subjects");
    names.clear();
    list.replaceChildren(
      ...subjects.map((s) => {
        names.set(s.id, s.name);
        const li = document.createElement("li");
        const open = document.createElement("button");
        open.type = "button";
        open.className = "link";
        open.textContent = s.name;
        open.addEventListener("click", () => showSubject(s.id).catch((error) => show($("subject-result"), error.message, true)));
        li.append(open);
        return li;
      }),
    );
    // The liveness check may also ask that the person answering be one of them.
    const person = $("challenge-subject");
    const chosen = person.value;
    person.replaceChildren(new Option("anyone", ""), ...subjects.map((s) => new Option(s.name, s.id)));
    person.value = names.has(chosen) ? chosen : "";
  } catch {
    // Without a valid key there is nothing to list; the forms report the error when used.
    list.replaceChildren();
  }
}

// The tenant's view of the system: gallery, review queue, webhooks, models, audit health, jobs.
async function loadStatus() {
  try {
    const s = await api("GET", "/v1/status");
    const jobs = Object.entries(s.jobs)
      .map(([state, n]) => `${n} ${state}`)
      .join(", ");
    show(
      $("status-result"),
      `${s.subjects} subject(s), ${s.templates} template(s); ${s.reviewClusters} group(s) to review; ${s.webhooks} webhook(s); model ${s.models.join(", ")}; audit ${s.auditWritable ? "writable" : "NOT writable: changes are refused"}${jobs ? `; jobs: ${jobs}` : ""}`,
      !s.auditWritable,
    );
  } catch (error) {
    show($("status-result"), error.message, true);
  }
}
$("status-load").addEventListener("click", loadStatus);

// A subject's page: what is held (templates), the decisions that named it, and erasure.
let shownSubject;
async function showSubject(id) {
  const [subject, { entries }] = await Promise.all([
    api("GET", `/v1/subjects/${encodeURIComponent(id)}`),
    api("GET", `/v1/audit?${new URLSearchParams({ subjectId: id, pageSize: "1000" })}`),
  ]);
  shownSubject = subject;
  $("subject").hidden = false;
  $("subject-name").textContent = subject.name;
  const threshold = subject.threshold ? `; threshold ${subject.threshold.value.toFixed(3)}: ${subject.threshold.reason}` : "";
  $("subject-facts").textContent =
    `${subject.templates} template(s); enrolled ${new Date(subject.createdAt).toLocaleString()}${threshold}`;
  $("subject-decisions").replaceChildren(
    ...entries
      .slice(-10)
      .reverse()
      .map((e) => {
        const li = document.createElement("li");
        li.textContent = `${new Date(e.time).toLocaleString()} ${e.operation}: ${e.decision}${e.scores?.length ? ` (${e.scores[0].toFixed(2)})` : ""}`;
        return li;
      }),
  );
  show($("subject-result"), "");
}
$("subject-erase").addEventListener("click", async () => {
  if (!shownSubject || !confirm(`Erase ${shownSubject.name} and every template everywhere? This cannot be undone.`)) return;
  try {
    await api("DELETE", `/v1/subjects/${encodeURIComponent(shownSubject.id)}`);
    show($("subject-result"), `Erased ${shownSubject.name}`);
    $("subject-name").textContent = "";
    $("subject-facts").textContent = "";
    $("subject-decisions").replaceChildren();
    shownSubject = undefined;
    await loadSubjects();
  } catch (error) {
    show($("subject-result"), error.message, true);
  }
});

$("enrol-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("enrol-result");
  try {
    const subject = await api("POST", "/v1/subjects", JSON.stringify({ name: $("enrol-name").value }));
    const form = new FormData();
    for (const file of $("enrol-photos").files) form.append("images", file);
    const enrolled = await api("POST", `/v1/subjects/${subject.id}/enroll`, form);
    const refused = enrolled.rejected.map((r) => `photo ${r.index + 1}: ${r.reason}`).join("; ");
    show(result, `Enrolled ${subject.name}: ${enrolled.templateIds.length} template(s)${refused ? `; refused ${refused}` : ""}`);
    await loadSubjects();
  } catch (error) {
    show(result, error.message, true);
  }
});

function label(face) {
  if (face.outcome === "match") return `${names.get(face.subjectId) ?? face.subjectId} (${face.score.toFixed(2)})`;
  return face.outcome;
}

// "Not them": corrective feedback on a match, sent with the same photo; that person's look-alikes
// then need more to be named as the subject.
function wrongButton(file, face, decisionId) {
  const button = document.createElement("button");
  button.type = "button";
  const name = names.get(face.subjectId) ?? face.subjectId;
  button.textContent = `Not ${name}`;
  button.addEventListener("click", async () => {
    try {
      const form = new FormData();
      form.append("subjectId", face.subjectId);
      form.append("verdict", "wrong");
      form.append("decisionId", decisionId);
      form.append("image", file);
      await api("POST", "/v1/feedback", form);
      button.disabled = true;
      show($("identify-result"), `Marked: not ${name}`);
    } catch (error) {
      show($("identify-result"), error.message, true);
    }
  });
  return button;
}

$("identify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("identify-result");
  const file = $("identify-photo").files[0];
  try {
    const form = new FormData();
    form.append("image", file);
    const [{ faces, requestId }, bitmap] = await Promise.all([api("POST", "/v1/identify", form), createImageBitmap(file)]);
    await loadSubjects();
    const canvas = $("identify-canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const g = canvas.getContext("2d");
    g.drawImage(bitmap, 0, 0);
    // Labels read at about 16 CSS pixels however far the photo is scaled down to fit, on a dark
    // backing: on a group photo a label sized by the image was a few pixels tall.
    const px = Math.max(14, Math.round((16 * bitmap.width) / (canvas.getBoundingClientRect().width || bitmap.width)));
    g.lineWidth = Math.max(2, px / 6);
    g.font = `bold ${px}px system-ui`;
    for (const face of faces) {
      const colour = face.outcome === "match" ? "#1db954" : "#e04848";
      const text = label(face);
      const y = Math.max(px + 4, face.box.y - 6);
      g.strokeStyle = colour;
      g.strokeRect(face.box.x, face.box.y, face.box.width, face.box.height);
      g.fillStyle = "rgba(0, 0, 0, 0.7)";
      g.fillRect(face.box.x, y - px, g.measureText(text).width + px / 2, px * 1.3);
      g.fillStyle = colour;
      g.fillText(text, face.box.x + px / 4, y);
    }
    $("identify-faces").replaceChildren(
      ...faces.map((face, i) => {
        const li = document.createElement("li");
        const text = document.createElement("span");
        text.textContent = label(face);
        li.append(text);
        if (face.outcome === "match") li.append(" ", wrongButton(file, face, `${requestId}:${i}`));
        return li;
      }),
    );
    show(result, `${faces.length} face(s)`);
  } catch (error) {
    show(result, error.message, true);
  }
});

// Live decisions: the match stream (server-sent events, read with fetch so the key can go in a header),
// shown per camera, the newest first and at most LIVE_ROWS each.
const LIVE_ROWS = 20;
let following;
async function follow() {
  following = new AbortController();
  const response = await fetch("/v1/matches", { headers: { "x-api-key": keyInput.value }, signal: following.signal });
  if (!response.ok) {
    const payload = await response.json();
    throw new Error(`${response.status} ${payload.error}: ${payload.message}`);
  }
  show($("live-result"), "following");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("data: ")) showDecision(JSON.parse(line.slice(6)));
  }
}
function showDecision(event) {
  const id = `live-${event.camera}`;
  let list = document.getElementById(id);
  if (!list) {
    const box = document.createElement("div");
    const title = document.createElement("h3");
    title.textContent = event.camera;
    list = document.createElement("ol");
    list.id = id;
    box.append(title, list);
    $("live-cameras").append(box);
  }
  const li = document.createElement("li");
  const who = event.outcome === "match" ? (names.get(event.subjectId) ?? event.subjectName ?? event.subjectId) : event.outcome;
  const when = new Date(event.frameTime ?? event.decidedAt ?? Date.now()).toLocaleTimeString();
  li.textContent = `${when} ${who}${event.score ? ` (${Number(event.score).toFixed(2)})` : ""}`;
  li.className = event.outcome === "match" ? "match" : "";
  list.prepend(li);
  while (list.children.length > LIVE_ROWS) list.lastElementChild.remove();
}
$("live-toggle").addEventListener("click", () => {
  if (following) {
    following.abort();
    following = undefined;
    $("live-toggle").textContent = "Follow";
    show($("live-result"), "stopped");
    return;
  }
  $("live-toggle").textContent = "Stop";
  follow().catch((error) => {
    if (error.name === "AbortError") return;
    following = undefined;
    $("live-toggle").textContent = "Follow";
    show($("live-result"), error.message, true);
  });
});

// The review queue: each cluster is a row with a name field (a new subject, or an existing one's name)
// and the buttons to assign or dismiss it.
async function loadReview(announce = true) {
  const { clusters, total } = await api("GET", "/v1/review/clusters?limit=100");
  const rows = clusters.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.cluster = c.id;
    const when = (iso) => new Date(iso).toLocaleString();
    // The face count opens the group: its faces, with their crops where crops are retained.
    const countCell = document.createElement("td");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = String(c.faces);
    open.setAttribute("aria-expanded", "false");
    open.setAttribute("aria-label", `show the ${c.faces} faces of this group`);
    open.addEventListener("click", () =>
      toggleFaces(tr, c, open).catch((error) => show($("review-result"), error.message, true)),
    );
    countCell.append(open);
    tr.append(countCell);
    for (const value of [c.cameras.join(", "), when(c.first), when(c.last)]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.append(td);
    }
    const nameCell = document.createElement("td");
    const name = document.createElement("input");
    name.maxLength = 200;
    name.placeholder = "name";
    name.setAttribute("aria-label", `name for the ${c.faces} faces last seen ${c.last}`);
    const assign = document.createElement("button");
    assign.type = "button";
    assign.textContent = "Assign";
    nameCell.append(name, assign);
    const dismissCell = document.createElement("td");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = "Dismiss";
    dismissCell.append(dismiss);
    tr.append(nameCell, dismissCell);
    const act = async (work) => {
      try {
        show($("review-result"), await work());
        await loadSubjects();
        await loadReview(false);
      } catch (error) {
        show($("review-result"), error.message, true);
      }
    };
    assign.addEventListener("click", () =>
      act(async () => {
        const wanted = name.value.trim();
        if (!wanted) throw new Error("type a name first");
        // An existing subject's name adds the faces to it; any other name makes a new subject.
        const existing = [...names].find(([, n]) => n === wanted)?.[0];
        const body = existing ? { subjectId: existing } : { name: wanted };
        const done = await api("POST", `/v1/review/clusters/${encodeURIComponent(c.id)}/assign`, JSON.stringify(body));
        return `Assigned to ${done.subject.name}: ${done.templates} template(s)${done.skipped ? `, ${done.skipped} below the quality floor` : ""}`;
      }),
    );
    dismiss.addEventListener("click", () =>
      act(async () => {
        const done = await api("DELETE", `/v1/review/clusters/${encodeURIComponent(c.id)}`);
        return `Dismissed ${done.faces} face(s)`;
      }),
    );
    return tr;
  });
  $("review-rows").replaceChildren(...rows);
  if (announce) show($("review-result"), `${total} group(s) to review`);
}
// Faces a group shows at most: enough to recognise a person, few enough to load at once.
const FACES_SHOWN = 12;

// An image the API serves behind the key: fetched with it, shown from a blob.
async function apiImage(path) {
  const response = await fetch(path, { headers: { "x-api-key": keyInput.value } });
  if (!response.ok) throw new Error(`${response.status} ${(await response.json()).message}`);
  return URL.createObjectURL(await response.blob());
}

async function toggleFaces(tr, cluster, button) {
  const shown = tr.nextElementSibling?.classList.contains("faces");
  if (shown) tr.nextElementSibling.remove();
  button.setAttribute("aria-expanded", String(!shown));
  if (shown) return;
  const { faces } = await api("GET", `/v1/review/clusters/${encodeURIComponent(cluster.id)}`);
  const row = document.createElement("tr");
  row.className = "faces";
  const cell = document.createElement("td");
  cell.colSpan = 6;
  for (const face of faces.slice(0, FACES_SHOWN)) {
    const figure = document.createElement("figure");
    if (face.hasCrop) {
      const img = document.createElement("img");
      img.width = 112;
      img.height = 112;
      img.alt = `face seen at ${face.camera}`;
      img.src = await apiImage(`/v1/review/faces/${encodeURIComponent(face.id)}/crop`);
      figure.append(img);
    }
    const caption = document.createElement("figcaption");
    const closeCall = face.outcome === "match" ? ` · close call: ${names.get(face.subjectId) ?? face.subjectId}` : "";
    caption.textContent = `${face.camera}, ${new Date(face.time).toLocaleString()}${closeCall}`;
    figure.append(caption);
    cell.append(figure);
  }
  if (faces.length > FACES_SHOWN) cell.append(`and ${faces.length - FACES_SHOWN} more`);
  if (!faces.some((f) => f.hasCrop)) cell.append(" (no crops: crop retention is off)");
  row.append(cell);
  tr.after(row);
}

$("review-load").addEventListener("click", () => {
  show($("review-result"), "");
  loadReview().catch((error) => show($("review-result"), error.message, true));
});

// The transparency notice, as the API builds it from the tenant's policy and the evaluation outputs.
async function loadNotice() {
  const n = await api("GET", "/v1/notice");
  const cells = (values) => {
    const tr = document.createElement("tr");
    for (const value of values) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(td);
    }
    return tr;
  };
  const items = (list) =>
    list.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    });
  $("notice-rates").replaceChildren(
    ...n.errorRates.map((r) => cells([r.measure, `${(100 * r.value).toPrecision(3)}%`, r.at, r.source])),
  );
  $("notice-stored").replaceChildren(...items(n.stored));
  $("notice-retention").replaceChildren(...items(n.retention));
  $("notice-liveness").textContent = n.liveness;
  $("notice-body").hidden = false;
  show(
    $("notice-result"),
    `Policy version ${n.policyVersion}, notice version ${n.noticeVersion}; consent ${n.consentRequired ? "required" : "not required"} to enrol; contact: ${n.contact || "not set"}; models: ${n.models.map((m) => `${m.role} ${m.id}`).join(", ")}`,
  );
}
$("notice-load").addEventListener("click", () => loadNotice().catch((error) => show($("notice-result"), error.message, true)));

let nextPage;
async function loadAudit(more) {
  // Filters as the audit API takes them; a subject may be typed by name (a listed subject's) or id.
  const filters = {};
  const operation = $("audit-operation").value.trim();
  const decision = $("audit-decision").value.trim();
  const subject = $("audit-subject").value.trim();
  if (operation) filters.operation = operation;
  if (decision) filters.decision = decision;
  if (subject) filters.subjectId = [...names].find(([, n]) => n === subject)?.[0] ?? subject;
  const query = new URLSearchParams({ pageSize: "50", ...filters, ...(more && nextPage ? { pageToken: nextPage } : {}) });
  const { entries, nextPageToken } = await api("GET", `/v1/audit?${query}`);
  const rows = entries.map((e) => {
    const tr = document.createElement("tr");
    for (const value of [
      e.sequence,
      e.time,
      e.operation,
      e.decision,
      names.get(e.subjectId) ?? e.subjectId ?? "",
      e.scores?.[0]?.toFixed(3) ?? "",
    ]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.append(td);
    }
    return tr;
  });
  if (more) $("audit-rows").append(...rows);
  else $("audit-rows").replaceChildren(...rows);
  nextPage = nextPageToken;
  $("audit-more").hidden = !nextPageToken;
  show(
    $("audit-result"),
    `${$("audit-rows").children.length} entr${$("audit-rows").children.length === 1 ? "y" : "ies"}${nextPageToken ? ", more to load" : ""}`,
  );
}
$("audit-load").addEventListener("click", () => loadAudit(false).catch((error) => show($("audit-result"), error.message, true)));
$("audit-more").addEventListener("click", () => loadAudit(true).catch((error) => show($("audit-result"), error.message, true)));

loadSubjects();
