import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_QUEUE, Jobs, type JobView, redisConnection } from "@facerec/pipeline";
import { openProductState } from "@facerec/product";
import { describeWithShared, shared } from "@facerec/testkit";
import { natsServer, redisServer, type ServerProcess, serviceProcess } from "@facerec/testkit/servers";
import { FaceEngine } from "@facerec/vision";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually } from "./stack.js";

const running: ServerProcess[] = [];
let redis: Awaited<ReturnType<typeof redisServer>>;
let matcher: Awaited<ReturnType<typeof serviceProcess>>;
let jobs: Jobs;
let data: string;

describeWithShared("BullMQ jobs on a real redis-server", () => {
  beforeAll(async () => {
    const nats = await natsServer();
    redis = await redisServer();
    running.push(nats, redis);
    data = mkdtempSync(join(tmpdir(), "jobs-"));
    matcher = await serviceProcess("matcher", {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      FACEREC_DATA: data,
      FACEREC_RETAIN_CROPS: "1",
    });
    running.push(matcher);
    jobs = new Jobs(redisConnection(redis.url));
  });
  afterAll(async () => {
    await jobs?.close();
    for (const p of running.reverse()) await p.stop();
  });

  it("Redis killed and restarted while bulk enrolments run: every job completes, once, and nothing is enrolled twice", async () => {
    const bbt = shared("data", "faceapi_bbt", "identities");
    const knn = shared("data", "facerec_examples", "knn_examples", "train");
    const cast = await jobs.add({ kind: "enrol-folder", tenant: "bbt", folder: bbt }, "bbt-cast-import");
    const five = await jobs.add({ kind: "enrol-folder", tenant: "acme", folder: knn });
    // The same idempotency key in the same tenant is one job.
    expect((await jobs.add({ kind: "enrol-folder", tenant: "bbt", folder: bbt }, "bbt-cast-import")).id).toBe(cast.id);
    await eventually(async () => expect((await jobs.get("bbt", cast.id))?.progress).toBeGreaterThan(0), 60_000, 100);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const finished = async (tenant: string, id: string): Promise<JobView> => {
      const v = await jobs.get(tenant, id);
      expect(v?.state).toBe("completed");
      return v as JobView;
    };
    const [a, b] = await eventually(async () => [await finished("bbt", cast.id), await finished("acme", five.id)], 180_000);
    expect(a.progress).toBe(100);
    expect(a.result).toMatchObject({ subjects: readdirSync(bbt).length });
    expect(b.result).toMatchObject({ subjects: 5 });
    // Another tenant cannot see the job.
    expect(await jobs.get("acme", cast.id)).toBeUndefined();

    const recalibrate = await jobs.add({ kind: "recalibrate", tenant: "bbt" });
    await eventually(async () =>
      expect((await finished("bbt", recalibrate.id)).result).toEqual({ subjects: readdirSync(bbt).length }),
    );

    // The in-memory index was loaded from the store, so a reindex finds nothing to mend.
    const reindex = await jobs.add({ kind: "reindex", tenant: "bbt" });
    await eventually(async () => expect((await finished("bbt", reindex.id)).result).toEqual({ added: 0, removed: 0 }));
    // Without an idempotency key every request is a job of its own.
    const again = await jobs.add({ kind: "recalibrate", tenant: "bbt" });
    expect(again.id).not.toBe(recalibrate.id);
    await eventually(async () => expect((await finished("bbt", again.id)).attempts).toBeGreaterThan(0));

    await matcher.stop();
    const engine = await FaceEngine.create({ liveness: "none" });
    const state = await openProductState(data, engine, { FACEREC_RETAIN_CROPS: "1" });
    const { gallery, audit } = state;
    const names = gallery
      .listSubjects("bbt")
      .map((s) => s.name)
      .sort();
    expect(names).toEqual(readdirSync(bbt).sort());
    for (const s of gallery.listSubjects("bbt")) expect(gallery.templatesOf("bbt", s.id).length).toBeGreaterThan(0);
    expect(gallery.listSubjects("acme")).toHaveLength(5);
    const completions = (await audit.query({ tenant: "bbt", decision: "completed", pageSize: 100 })).entries;
    expect(completions.filter((e) => e.requestId === cast.id)).toHaveLength(1);
    expect(completions.filter((e) => e.requestId === recalibrate.id || e.requestId === again.id)).toHaveLength(2);
    const [leaving] = gallery.listSubjects("bbt");
    await state.close();

    // Erasure reaches the job records: the erased person's folder name leaves the job that enrolled them.
    const records = new Queue(JOB_QUEUE, { connection: redisConnection(redis.url) });
    const done = async () => ((await records.getJob(cast.id))?.data as { done?: string[] } | undefined)?.done ?? [];
    expect(await done()).toContain(leaving?.name);
    await matcher.start();
    const erase = await jobs.add({ kind: "erase", tenant: "bbt", subjectId: leaving?.id as string });
    const erased = await eventually(
      async () => (await finished("bbt", erase.id)).result as { templates: number; stores: { store: string }[] },
    );
    expect(erased.templates).toBeGreaterThan(0);
    // The job walks the personal-data registry as DELETE /v1/subjects/:id does.
    expect(erased.stores.map((s) => s.store)).toEqual([
      "review-queue",
      "liveness-challenges",
      "webhook-filters",
      "webhook-deliveries",
      "templates",
    ]);
    expect(await done()).not.toContain(leaving?.name);
    expect((await done()).length).toBe(names.length - 1);
    await records.close();
  });
});
