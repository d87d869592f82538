import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, LFW } from "@facerec/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Json, restCaller, serveOnLoopback } from "./clients.js";

let data: string;
let gateway: Gateway;
let base: string;
let close: () => Promise<void>;
let key: string;
const call = restCaller(() => base);
const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");
/** The status of a review face's crop (a PNG, not JSON). */
const cropStatus = async (id: string) =>
  (await fetch(`${base}/v1/review/faces/${id}/crop`, { headers: { "x-api-key": key } })).status;

/** Every file under `dir` but the audit trail's (kept by law: it names subjects by id, never a face). */
function filesOutsideAudit(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !relative(dir, f).startsWith("audit"));
}

/** The review queue's faces as an operator sees them, every cluster's. */
async function reviewFaces(): Promise<Json[]> {
  const { clusters } = (await call("GET", "/v1/review/clusters?limit=100", key)).json;
  const faces = [];
  for (const c of clusters) faces.push(...(await call("GET", `/v1/review/clusters/${c.id}`, key)).json.faces);
  return faces;
}

describeWithShared("erasure reaches every store: nothing of an erased person is served or left in the data folder", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "erasure-"));
    // Every decision kept for review (a margin of 1 makes every match a close call), with its crop.
    gateway = await openGateway(data, {
      env: {
        ...process.env,
        FACEREC_REVIEW: "all",
        FACEREC_RETAIN_CROPS: "1",
        FACEREC_REVIEW_LOW_MARGIN: "1",
        FACEREC_LIVENESS_POLICY: "off",
        // Webhooks to a receiver on this machine: nothing listens there; only their filters matter here.
        FACEREC_WEBHOOK_ALLOW: "127.0.0.1/32",
      },
    });
    key = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    ({ base, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
    rmSync(data, { recursive: true, force: true });
  });

  it("erases a subject with templates, crops and review faces; the receipt says what each store removed", async () => {
    const enrol = async (name: string, person: string) => {
      const { id } = (await call("POST", "/v1/subjects", key, { name })).json;
      const r = await call("POST", `/v1/subjects/${id}/enroll`, key, { images: [photo(person, 1), photo(person, 2)] });
      expect(r.json.templateIds).toHaveLength(2);
      return id as string;
    };
    const gerhard = await enrol("Gerhard Schroeder", "Gerhard_Schroeder");
    const colin = await enrol("Colin Powell", "Colin_Powell");
    // Two webhooks follow him: one him alone, one him and Colin. Their receiver is down (nothing
    // listens on port 9), so the deliveries of the decisions below wait in the queue to be retried.
    const hook = async (subjects: string[]) =>
      (await call("POST", "/v1/webhooks", key, { url: "http://127.0.0.1:9/hook", subjects })).json.webhook.id as string;
    const onlyHim = await hook([gerhard]);
    const both = await hook([gerhard, colin]);
    for (const n of [3, 4, 5]) {
      const r = await call("POST", "/v1/identify", key, { image: photo("Gerhard_Schroeder", n) });
      expect(r.json.faces[0]).toMatchObject({ outcome: "match", subjectId: gerhard });
    }
    await call("POST", "/v1/identify", key, { image: photo("Colin_Powell", 3) });
    for (const n of [1, 2]) await call("POST", "/v1/identify", key, { image: photo("Jean_Chretien", n) });

    const naming = (faces: Json[]) =>
      faces.filter((f) => f.subjectId === gerhard || f.candidates.some((c: Json) => c.subjectId === gerhard));
    const before = await reviewFaces();
    const his = before.filter((f) => f.subjectId === gerhard);
    expect(his).toHaveLength(3);
    for (const f of his) expect(await cropStatus(f.id)).toBe(200);
    const exported = (await call("GET", `/v1/subjects/${gerhard}/export`, key)).json;
    expect(exported.stores.find((s: Json) => s.store === "review-queue").records.length).toBe(naming(before).length);
    // Three decisions that named him, to two webhooks each, held by the delivery queue.
    expect(exported.stores.find((s: Json) => s.store === "webhook-deliveries").records.length).toBeGreaterThanOrEqual(6);
    const files = filesOutsideAudit(data);
    expect(files.some((f) => readFileSync(f).includes(gerhard))).toBe(true);

    const erased = await call("DELETE", `/v1/subjects/${gerhard}`, key);
    expect(erased.status).toBe(200);
    const removed = Object.fromEntries(erased.json.receipt.stores.map((s: Json) => [s.store, s.removed]));
    expect(removed).toMatchObject({
      templates: 2,
      "review-queue": expect.any(Number),
      "liveness-challenges": 0,
      "webhook-filters": 2,
      "webhook-deliveries": expect.any(Number),
    });
    // No delivery naming him is left to send (one under way at the erasure is not retried).
    const queued = () => gateway.webhooks.queue.naming("acme", gerhard);
    for (const end = Date.now() + 5000; (await queued()).length > 0 && Date.now() < end; )
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await queued()).toEqual([]);
    // Every one was still held (six attempts span 31 s, and the open circuit spends none): removed, or
    // under way and not retried.
    const detail = erased.json.receipt.stores.find((st: Json) => st.store === "webhook-deliveries").detail as string;
    const underWay = Number(/, (\d+) under way/.exec(detail)?.[1] ?? 0);
    expect(removed["webhook-deliveries"] + underWay).toBeGreaterThanOrEqual(6);
    // The webhook that followed him alone is gone (its filter, left empty, would follow everyone); the other follows Colin.
    const hooks = (await call("GET", "/v1/webhooks", key)).json.webhooks as Json[];
    expect(hooks.map((h) => [h.id, h.subjects])).toEqual([[both, [colin]]]);
    expect(hooks.some((h) => h.id === onlyHim)).toBe(false);
    expect(removed["review-queue"]).toBeGreaterThanOrEqual(3);

    // Nothing of him is served: not his review faces, their crops, his page or his export.
    const after = await reviewFaces();
    expect(naming(after)).toEqual([]);
    for (const f of his) expect(await cropStatus(f.id)).toBe(404);
    expect((await call("GET", `/v1/subjects/${gerhard}`, key)).status).toBe(404);
    expect((await call("GET", `/v1/subjects/${gerhard}/export`, key)).status).toBe(404);
    expect(after.some((f) => f.subjectId === colin)).toBe(true);

    // No file of the data folder outside the audit trail names him or holds his faces' ids.
    const leaks = filesOutsideAudit(data).filter((f) => {
      const bytes = readFileSync(f);
      return bytes.includes(gerhard) || bytes.includes("Gerhard Schroeder") || his.some((h) => bytes.includes(h.id));
    });
    expect(leaks.map((f) => relative(data, f))).toEqual([]);
    // The erasure's audit entry keeps the receipt.
    const entry = (await gateway.audit.query({ tenant: "acme", operation: "delete-subject" })).entries[0];
    expect(entry?.decision).toMatch(/^erased: review-queue \d+ faces with their crops/);
  });
});
