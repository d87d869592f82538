import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describeWithShared, LFW } from "@facerec/testkit";
import { embeddedGateway, gatewayProcess, postgresServer, type ServerProcess } from "@facerec/testkit/servers";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * A change and its audit entry are stored together or not at all: a gateway killed (SIGKILL, by the
 * FACEREC_TEST_KILL_BEFORE_AUDIT test hook) after its change and before its audit entry leaves
 * neither in PostgreSQL, for an erasure and for naming a review cluster (four writes in three stores).
 * With local files the same changes are killed before their entry (neither is kept, or an erasure is
 * finished at the restart) and right after their journal commit (FACEREC_TEST_KILL_AFTER_COMMIT: both
 * are there after the restart).
 */
let pg: ServerProcess & { url: string };
const running: ServerProcess[] = [];
const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");

async function api(base: string, key: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

/** A gateway on the shared database; with `killBefore`, it dies before writing that operation's entry. */
async function gateway(killBefore?: string) {
  const g = await gatewayProcess({
    DATABASE_URL: pg.url,
    FACEREC_LIVENESS_POLICY: "off",
    FACEREC_REVIEW: "all",
    ...(killBefore ? { FACEREC_TEST_KILL_BEFORE_AUDIT: killBefore } : {}),
  });
  running.push(g);
  return g;
}

/** The request that kills its gateway gets no answer. */
async function dies(call: Promise<unknown>): Promise<void> {
  await expect(call).rejects.toThrow();
}

describeWithShared("a change and its audit entry commit together (PostgreSQL)", () => {
  let admin: string;
  beforeAll(async () => {
    pg = await postgresServer();
    running.push(pg);
    admin = (await gateway()).admin;
    expect(admin).toMatch(/^frk_/);
  });
  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it("an erasure killed before its entry: the subject and its templates are still there, and no entry", async () => {
    const first = running.at(-1) as Awaited<ReturnType<typeof gateway>>;
    const { id } = (await api(first.url, admin, "POST", "/v1/subjects", { name: "Colin Powell" })).json;
    const enrolled = await api(first.url, admin, "POST", `/v1/subjects/${id}/enroll`, { images: [photo("Colin_Powell", 1)] });
    expect(enrolled.json.templateIds).toHaveLength(1);

    const doomed = await gateway("delete-subject");
    await dies(api(doomed.url, admin, "DELETE", `/v1/subjects/${id}`));
    await doomed.stop();

    const after = await gateway();
    expect((await api(after.url, admin, "GET", `/v1/subjects/${id}`)).json).toMatchObject({ id, templates: 1 });
    const entries = (await api(after.url, admin, "GET", `/v1/audit?subjectId=${id}`)).json.entries;
    expect(entries.map((e: { operation: string }) => e.operation)).toEqual(["create-subject", "enroll"]);
    // Done again without the hook: both are there.
    expect((await api(after.url, admin, "DELETE", `/v1/subjects/${id}`)).status).toBe(200);
    const erased = (await api(after.url, admin, "GET", "/v1/audit?operation=delete-subject")).json.entries;
    expect(erased).toHaveLength(1);
    expect((await api(after.url, admin, "GET", `/v1/subjects/${id}`)).status).toBe(404);
  });

  it("naming a review cluster killed before its entry: the cluster is still queued, no subject was made", async () => {
    const g = running.at(-1) as Awaited<ReturnType<typeof gateway>>;
    for (const n of [1, 2]) await api(g.url, admin, "POST", "/v1/identify", { image: photo("Jean_Chretien", n) });
    const { clusters } = (await api(g.url, admin, "GET", "/v1/review/clusters")).json;
    expect(clusters.length).toBeGreaterThan(0);
    const cluster = clusters[0];

    const doomed = await gateway("review-assign");
    await dies(api(doomed.url, admin, "POST", `/v1/review/clusters/${cluster.id}/assign`, { name: "Jean Chretien" }));
    await doomed.stop();

    const after = await gateway();
    expect((await api(after.url, admin, "GET", `/v1/review/clusters/${cluster.id}`)).json.faces).toHaveLength(cluster.faces);
    const subjects = (await api(after.url, admin, "GET", "/v1/subjects")).json.subjects;
    expect(subjects.map((s: { name: string }) => s.name)).not.toContain("Jean Chretien");
    expect((await api(after.url, admin, "GET", "/v1/audit?operation=review-assign")).json.entries).toEqual([]);
    const named = await api(after.url, admin, "POST", `/v1/review/clusters/${cluster.id}/assign`, { name: "Jean Chretien" });
    expect(named.status).toBe(200);
    expect((await api(after.url, admin, "GET", "/v1/audit?operation=review-assign")).json.entries).toHaveLength(1);
  });
});

describeWithShared("a change and its audit entry are both kept or neither (local files)", () => {
  const data = mkdtempSync(join(tmpdir(), "atomic-files-"));
  const env = { FACEREC_LIVENESS_POLICY: "off", FACEREC_REVIEW: "all", FACEREC_RETAIN_CROPS: "1" };
  let admin: string;
  afterAll(() => rmSync(data, { recursive: true, force: true }));

  /** An embedded gateway on the folder; `hook` makes it die at that point of one change. */
  async function embedded(hook: Record<string, string> = {}) {
    const g = await embeddedGateway(data, { ...env, ...hook });
    admin ??= /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(g.output)?.[1] as string;
    return g;
  }

  /** `call` kills the gateway (SIGKILL, no answer); then one starts again on the folder. */
  async function killedBy(g: Awaited<ReturnType<typeof embedded>>, call: (url: string) => Promise<unknown>) {
    const exited = new Promise((resolve) => g.child.once("exit", (_code, signal) => resolve(signal)));
    await dies(call(g.url));
    expect(await exited).toBe("SIGKILL");
    return embedded();
  }

  /** Files in the data folder, outside the audit trail, that hold `text`. */
  const naming = (text: string) =>
    readdirSync(data, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !relative(data, join(e.parentPath, e.name)).startsWith("audit"))
      .filter((e) => readFileSync(join(e.parentPath, e.name)).includes(text))
      .map((e) => e.name);

  it("an embedded gateway killed between an erasure and its entry finishes both when it starts again", async () => {
    const doomed = await embedded({ FACEREC_TEST_KILL_BEFORE_AUDIT: "delete-subject" });
    const { id } = (await api(doomed.url, admin, "POST", "/v1/subjects", { name: "Colin Powell" })).json;
    await api(doomed.url, admin, "POST", `/v1/subjects/${id}/enroll`, { images: [photo("Colin_Powell", 1)] });
    const again = await killedBy(doomed, (url) => api(url, admin, "DELETE", `/v1/subjects/${id}`));
    try {
      expect((await api(again.url, admin, "GET", `/v1/subjects/${id}`)).status).toBe(404);
      const entries = (await api(again.url, admin, "GET", "/v1/audit?operation=delete-subject")).json.entries;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ subjectId: id, decision: expect.stringMatching(/finished at restart/) });
      // The intent named the subject until it was finished; nothing outside the audit trail does now.
      expect(naming(id)).toEqual([]);
    } finally {
      await again.stop();
    }
  });

  it("naming a review cluster killed before its entry: nothing of it is on disk, the cluster is still queued", async () => {
    const g = await embedded();
    for (const n of [1, 2]) await api(g.url, admin, "POST", "/v1/identify", { image: photo("Jean_Chretien", n) });
    const [cluster] = (await api(g.url, admin, "GET", "/v1/review/clusters")).json.clusters;
    expect(cluster.faces).toBeGreaterThan(0);
    await g.stop();

    const doomed = await embedded({ FACEREC_TEST_KILL_BEFORE_AUDIT: "review-assign" });
    const assign = (url: string) =>
      api(url, admin, "POST", `/v1/review/clusters/${cluster.id}/assign`, { name: "Jean Chretien" });
    const after = await killedBy(doomed, assign);
    try {
      const { faces } = (await api(after.url, admin, "GET", `/v1/review/clusters/${cluster.id}`)).json;
      expect(faces).toHaveLength(cluster.faces);
      // Their crops too: they are deleted only once a change that takes the faces commits.
      for (const face of faces) {
        expect(face.hasCrop).toBe(true);
        const crop = await fetch(`${after.url}/v1/review/faces/${face.id}/crop`, { headers: { "x-api-key": admin } });
        expect(crop.status).toBe(200);
      }
      const subjects = (await api(after.url, admin, "GET", "/v1/subjects")).json.subjects;
      expect(subjects.map((s: { name: string }) => s.name)).not.toContain("Jean Chretien");
      expect((await api(after.url, admin, "GET", "/v1/audit?operation=review-assign")).json.entries).toEqual([]);
      expect(naming("Jean Chretien")).toEqual([]);
    } finally {
      await after.stop();
    }
  });

  it("naming a review cluster killed right after its commit: the subject, its templates, the emptied queue and the entry are all there", async () => {
    const doomed = await embedded({ FACEREC_TEST_KILL_AFTER_COMMIT: "review-assign" });
    const [cluster] = (await api(doomed.url, admin, "GET", "/v1/review/clusters")).json.clusters;
    const assign = (url: string) =>
      api(url, admin, "POST", `/v1/review/clusters/${cluster.id}/assign`, { name: "Jean Chretien" });
    const after = await killedBy(doomed, assign);
    try {
      expect((await api(after.url, admin, "GET", `/v1/review/clusters/${cluster.id}`)).status).toBe(404);
      const subjects = (await api(after.url, admin, "GET", "/v1/subjects")).json.subjects;
      const named = subjects.find((s: { name: string }) => s.name === "Jean Chretien");
      expect((await api(after.url, admin, "GET", `/v1/subjects/${named.id}`)).json).toMatchObject({ templates: cluster.faces });
      const entries = (await api(after.url, admin, "GET", "/v1/audit?operation=review-assign")).json.entries;
      expect(entries).toHaveLength(1);
      expect(entries[0].subjectId).toBe(named.id);
      // The journal held the change's embeddings until its entry was written; it is empty now.
      expect(readFileSync(join(data, "journal", "transactions.log"))).toHaveLength(0);
    } finally {
      await after.stop();
    }
  });

  it("a key made by an admin killed after its commit works after the restart, with its entry; one killed before has neither", async () => {
    const beforeAudit = await embedded({ FACEREC_TEST_KILL_BEFORE_AUDIT: "create-key" });
    const create = (url: string) => api(url, admin, "POST", "/v1/keys", { name: "lost", scopes: ["recognise"] });
    const mid = await killedBy(beforeAudit, create);
    const listed = (await api(mid.url, admin, "GET", "/v1/keys")).json.keys;
    expect(listed.map((k: { name: string }) => k.name)).not.toContain("lost");
    expect((await api(mid.url, admin, "GET", "/v1/audit?operation=create-key")).json.entries).toEqual([]);
    await mid.stop();

    const afterCommit = await embedded({ FACEREC_TEST_KILL_AFTER_COMMIT: "create-key" });
    const after = await killedBy(afterCommit, (url) =>
      api(url, admin, "POST", "/v1/keys", { name: "kept", scopes: ["recognise"] }),
    );
    try {
      const keys = (await api(after.url, admin, "GET", "/v1/keys")).json.keys;
      const kept = keys.find((k: { name: string }) => k.name === "kept");
      expect(kept).toBeDefined();
      const entries = (await api(after.url, admin, "GET", "/v1/audit?operation=create-key")).json.entries;
      expect(entries).toHaveLength(1);
      expect(entries[0].decision).toContain(kept.id);
    } finally {
      await after.stop();
    }
  });
});
