import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { CorruptLogError, Database } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { type AuditRecord, type AuditTrail, FileAuditTrail, PgAuditTrail } from "../src/index.js";

const decisions: AuditRecord[] = [
  {
    tenant: "acme",
    keyId: "k1",
    operation: "enroll",
    subjectId: "s1",
    decision: "enrolled",
    requestId: "r1",
    modelId: "arcface512",
  },
  {
    tenant: "acme",
    keyId: "k1",
    operation: "identify",
    subjectId: "s1",
    decision: "match",
    scores: [0.7123456789012345, 0.2],
    requestId: "r2",
    latencyMs: 85,
    camera: "door",
  },
  { tenant: "acme", keyId: "k2", operation: "identify", decision: "rejected-spoof", scores: [0.12], requestId: "r3" },
  { tenant: "globex", keyId: "k9", operation: "identify", decision: "unknown", requestId: "r4" },
  { tenant: "acme", keyId: "-", operation: "auth", decision: "rejected-auth", requestId: "r5" },
  { tenant: "acme", keyId: "k1", operation: "delete", subjectId: "s1", decision: "erased", requestId: "r6" },
];

/** How an adapter is opened for the shared suite: `open` twice on one `place` gives two writers. */
interface Adapter {
  place(): Promise<string>;
  open(place: string): Promise<AuditTrail>;
}

/** The conformance suite every audit trail adapter passes. */
function conformance(name: string, adapter: () => Adapter): void {
  describe(`audit trail conformance: ${name}`, () => {
    async function filled(): Promise<{ place: string; audit: AuditTrail }> {
      const place = await adapter().place();
      const audit = await adapter().open(place);
      for (const d of decisions) await audit.append(d);
      return { place, audit };
    }

    it("records every decision, one chain per tenant, and pages one tenant's entries", async () => {
      const { audit } = await filled();
      const first = await audit.query({ tenant: "acme", pageSize: 2 });
      expect(first.entries.map((e) => e.requestId)).toEqual(["r1", "r2"]);
      expect(first.entries.map((e) => e.sequence)).toEqual([1, 2]);
      const second = await audit.query({ tenant: "acme", pageSize: 2, pageToken: first.nextPageToken as string });
      expect(second.entries.map((e) => e.requestId)).toEqual(["r3", "r5"]);
      const third = await audit.query({ tenant: "acme", pageSize: 2, pageToken: second.nextPageToken as string });
      expect(third.entries.map((e) => e.requestId)).toEqual(["r6"]);
      expect(third.nextPageToken).toBeUndefined();
      // Newest first, the token continues before its entry.
      const newest = await audit.query({ tenant: "acme", pageSize: 2, newestFirst: true });
      expect(newest.entries.map((e) => e.requestId)).toEqual(["r6", "r5"]);
      const older = await audit.query({
        tenant: "acme",
        pageSize: 2,
        newestFirst: true,
        pageToken: newest.nextPageToken as string,
      });
      expect(older.entries.map((e) => e.requestId)).toEqual(["r3", "r2"]);
      const oldest = await audit.query({
        tenant: "acme",
        pageSize: 2,
        newestFirst: true,
        pageToken: older.nextPageToken as string,
      });
      expect([oldest.entries.map((e) => e.requestId), oldest.nextPageToken]).toEqual([["r1"], undefined]);
      expect(
        (await audit.query({ tenant: "acme", operation: "identify", newestFirst: true })).entries.map((e) => e.requestId),
      ).toEqual(["r3", "r2"]);
      expect((await audit.query({ tenant: "acme", decision: "rejected-spoof" })).entries).toHaveLength(1);
      const match = (await audit.query({ tenant: "acme", subjectId: "s1", operation: "identify" })).entries[0];
      expect([match?.scores, match?.camera]).toEqual([[0.7123456789012345, 0.2], "door"]);
      expect((await audit.query({ tenant: "globex" })).entries.map((e) => [e.requestId, e.sequence])).toEqual([["r4", 1]]);
      expect((await audit.query({ tenant: "acme", since: new Date(Date.now() + 60_000) })).entries).toEqual([]);
      expect((await audit.tenants()).sort()).toEqual(["acme", "globex"]);
      expect(await audit.verify("acme")).toEqual({ tenant: "acme", intact: true, entries: 5 });
      expect(await audit.verify("globex")).toEqual({ tenant: "globex", intact: true, entries: 1 });
      await audit.close();
    });

    it("continues each chain after a restart", async () => {
      const { place, audit } = await filled();
      await audit.close();
      const reopened = await adapter().open(place);
      const entry = await reopened.append({
        tenant: "acme",
        keyId: "k1",
        operation: "verify",
        decision: "match",
        requestId: "r7",
      });
      expect(entry.sequence).toBe(6);
      expect(await reopened.verify("acme")).toEqual({ tenant: "acme", intact: true, entries: 6 });
      await reopened.close();
    });

    it("prunes a prefix behind a checkpoint: the kept chain verifies, goes on and survives a restart", async () => {
      const { place, audit } = await filled();
      expect(await audit.prune("acme", "2000-01-01T00:00:00.000Z")).toBeUndefined();
      const [, , , fourth] = (await audit.query({ tenant: "acme" })).entries;
      // Everything is older than a year from now, but the newest entry stays: the chain's head.
      const later = new Date(Date.now() + 365 * 86_400_000).toISOString();
      const pruned = await audit.prune("acme", later);
      expect(pruned).toMatchObject({ removed: 4, checkpoint: { tenant: "acme", sequence: 4, hash: fourth?.hash, pruned: 4 } });
      const checkpoint = pruned?.checkpoint;
      expect((await audit.query({ tenant: "acme" })).entries.map((e) => e.sequence)).toEqual([5]);
      expect(await audit.verify("acme")).toMatchObject({ tenant: "acme", intact: true, entries: 1, checkpoint });
      await audit.append({ tenant: "acme", keyId: "k1", operation: "verify", decision: "match", requestId: "r8" });
      await audit.close();
      const reopened = await adapter().open(place);
      expect((await reopened.query({ tenant: "acme" })).entries.map((e) => e.sequence)).toEqual([5, 6]);
      expect(await reopened.verify("acme")).toMatchObject({ intact: true, entries: 2 });
      // Another tenant's chain is untouched; a second prune adds to the count.
      expect(await reopened.verify("globex")).toEqual({ tenant: "globex", intact: true, entries: 1 });
      expect(await reopened.prune("acme", later)).toMatchObject({ removed: 1, checkpoint: { sequence: 5, pruned: 5 } });
      expect(await reopened.verify("acme")).toMatchObject({ intact: true, entries: 1 });
      await reopened.close();
    });

    it("says it can take entries while its store can", async () => {
      const { audit } = await filled();
      expect(await audit.health()).toEqual({ writable: true });
      await audit.close();
    });

    it("keeps one entry per dedupe key, however often it is appended", async () => {
      const place = await adapter().place();
      const audit = await adapter().open(place);
      const record = { tenant: "acme", keyId: "camera:door", operation: "match", decision: "unknown", requestId: "crop-1" };
      const first = await audit.append(record, { dedupeKey: "match:crop-1" });
      const again = await audit.append(record, { dedupeKey: "match:crop-1" });
      expect(again).toEqual(first);
      expect((await audit.query({ tenant: "acme" })).entries).toHaveLength(1);
      await audit.close();
    });

    it("stays one valid chain per tenant with writers appending at once", async () => {
      const place = await adapter().place();
      const writers = [await adapter().open(place), await adapter().open(place)];
      const seen: string[] = [];
      writers[0]?.onAppend((e) => seen.push(e.requestId));
      await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          (writers[i % writers.length] as AuditTrail).append({
            tenant: i % 3 === 0 ? "globex" : "acme",
            keyId: "k",
            operation: "identify",
            decision: "unknown",
            requestId: `c${i}`,
          }),
        ),
      );
      const audit = writers[0] as AuditTrail;
      expect(await audit.verify("acme")).toEqual({ tenant: "acme", intact: true, entries: 80 });
      expect(await audit.verify("globex")).toEqual({ tenant: "globex", intact: true, entries: 40 });
      expect(seen.length).toBeGreaterThan(0);
      for (const w of writers) await w.close();
    });
  });
}

/** The log's frames as payloads. */
function frames(path: string): Buffer[] {
  const data = readFileSync(path);
  const out = [];
  for (let o = 0; o < data.length; ) {
    const length = data.readUInt32LE(o);
    out.push(data.subarray(o + 8, o + 8 + length));
    o += 8 + length;
  }
  return out;
}

function rewrite(path: string, payloads: Buffer[]): void {
  writeFileSync(
    path,
    Buffer.concat(
      payloads.map((p) => {
        const head = Buffer.alloc(8);
        head.writeUInt32LE(p.length, 0);
        head.writeUInt32LE(crc32(p), 4);
        return Buffer.concat([head, p]);
      }),
    ),
  );
}

// One process owns a folder: its two "writers" share one trail, as the gateway's REST and gRPC do.
// Each gets a handle on it whose close releases only that handle (the last one closes the trail).
const files = new Map<string, { trail: FileAuditTrail; handles: number }>();
const handleOn = (dir: string, shared: { trail: FileAuditTrail; handles: number }): AuditTrail =>
  new Proxy(shared.trail, {
    get(target, property) {
      if (property === "close") {
        return async () => {
          if (--shared.handles > 0) return;
          files.delete(dir);
          await target.close();
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
conformance("local file", () => ({
  place: async () => mkdtempSync(join(tmpdir(), "audit-")),
  open: async (dir) => {
    const shared = files.get(dir) ?? { trail: FileAuditTrail.open(dir), handles: 0 };
    shared.handles++;
    files.set(dir, shared);
    return handleOn(dir, shared);
  },
}));

const pg = postgresForTests();
conformance("PostgreSQL", () => ({
  place: async () => pg.database(),
  open: async (url) => {
    const db = pg.closeAfter(await Database.connect(url));
    return new PgAuditTrail(db);
  },
}));

describe("the file trail's scan limit", () => {
  it("pages a rare filter past the scan limit in short pages, oldest or newest first, missing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facerec-audit-scan-"));
    // Every tenth entry is an identify; the trail reads at most 7 entries a query.
    const audit = FileAuditTrail.open(dir, { scanLimit: 7 });
    for (let n = 1; n <= 45; n++) {
      await audit.append({
        tenant: "acme",
        keyId: "k",
        operation: n % 10 === 0 ? "identify" : "enroll",
        decision: "d",
        requestId: `r${n}`,
      });
    }
    const all = async (newestFirst: boolean) => {
      const seen: number[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await audit.query({
          tenant: "acme",
          operation: "identify",
          pageSize: 2,
          newestFirst,
          ...(pageToken ? { pageToken } : {}),
        });
        seen.push(...page.entries.map((e) => e.sequence));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken);
      return { seen, pages };
    };
    const oldest = await all(false);
    expect(oldest.seen).toEqual([10, 20, 30, 40]);
    // Short pages: no query read more than 7 entries, so 45 took several.
    expect(oldest.pages).toBeGreaterThanOrEqual(45 / 7);
    const newest = await all(true);
    expect(newest.seen).toEqual([40, 30, 20, 10]);
    expect(newest.pages).toBeGreaterThanOrEqual(45 / 7);
    await audit.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("audit trail tamper evidence", () => {
  async function fileTrail(): Promise<{ dir: string; audit: FileAuditTrail }> {
    const dir = mkdtempSync(join(tmpdir(), "audit-"));
    const audit = FileAuditTrail.open(dir);
    for (const d of decisions) await audit.append(d);
    return { dir, audit };
  }

  it("finds an entry edited in the file with its checksum fixed up", async () => {
    const { dir, audit } = await fileTrail();
    const path = join(dir, "audit.log");
    const payloads = frames(path);
    const edited = JSON.parse(payloads[2]?.toString() ?? "{}");
    edited.decision = "match";
    payloads[2] = Buffer.from(JSON.stringify(edited));
    rewrite(path, payloads);
    expect(await audit.verify("acme")).toMatchObject({ intact: false, firstBroken: 3 });
    expect(await audit.verify("globex")).toMatchObject({ intact: true });
  });

  it("finds an entry edited in place without destroying what follows, and refuses to open over it", async () => {
    const { dir, audit } = await fileTrail();
    const path = join(dir, "audit.log");
    const bytes = readFileSync(path);
    const at = bytes.indexOf("rejected-spoof");
    bytes.write("accepted-spoof", at);
    writeFileSync(path, bytes);
    const result = await audit.verify("acme");
    expect(result).toMatchObject({ intact: false, firstBroken: 3 });
    expect(result.reason).toMatch(/audit\.log is damaged at byte \d+: that record fails its checksum and intact records follow/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(() => FileAuditTrail.open(dir)).toThrow(CorruptLogError);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("finds a removed entry and entries cut off the end of the file", async () => {
    const { dir, audit } = await fileTrail();
    const path = join(dir, "audit.log");
    const payloads = frames(path);
    rewrite(path, [...payloads.slice(0, 3), ...payloads.slice(4)]);
    expect(await audit.verify("acme")).toMatchObject({ intact: true });
    rewrite(path, [...payloads.slice(0, 2), ...payloads.slice(3)]);
    expect(await audit.verify("acme")).toMatchObject({ intact: false, firstBroken: 3 });
    rewrite(path, payloads.slice(0, 5));
    expect(await audit.verify("acme")).toMatchObject({
      intact: false,
      firstBroken: 5,
      reason: expect.stringMatching(/cut off the end/),
    });
  });

  it("passes over entries a prune checkpointed but did not rewrite (a crash between), and finds a forged checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-"));
    const audit = FileAuditTrail.open(dir);
    for (const d of decisions) await audit.append(d);
    const third = (await audit.query({ tenant: "acme" })).entries[2];
    await audit.close();
    const checkpoint = { tenant: "acme", sequence: 3, hash: third?.hash, pruned: 3, at: new Date().toISOString() };
    writeFileSync(join(dir, "audit.checkpoints"), JSON.stringify({ acme: checkpoint }));
    const reopened = FileAuditTrail.open(dir);
    expect((await reopened.query({ tenant: "acme" })).entries.map((e) => e.sequence)).toEqual([4, 5]);
    expect(await reopened.verify("acme")).toMatchObject({ intact: true, entries: 2 });
    await reopened.close();
    writeFileSync(join(dir, "audit.checkpoints"), JSON.stringify({ acme: { ...checkpoint, hash: "f".repeat(64) } }));
    const forged = (await FileAuditTrail.inspect(dir, ["acme"]))[0];
    expect(forged).toMatchObject({ intact: false, firstBroken: 3 });
  });

  it("finds rows edited, removed or cut off in PostgreSQL", async () => {
    const tamper = pg.closeAfter(await Database.connect(pg.database()));
    const audit = new PgAuditTrail(tamper);
    for (const d of decisions) await audit.append(d);
    await tamper.query(
      `UPDATE audit_entries SET entry = replace(entry, 'rejected-spoof', 'match') WHERE tenant = 'acme' AND sequence = 3`,
    );
    expect(await audit.verify("acme")).toMatchObject({ intact: false, firstBroken: 3 });
    await tamper.query("DELETE FROM audit_entries WHERE tenant = 'acme' AND sequence >= 3");
    expect(await audit.verify("acme")).toMatchObject({
      intact: false,
      firstBroken: 3,
      reason: expect.stringMatching(/cut off the end/),
    });
    expect(await audit.verify("globex")).toMatchObject({ intact: true, entries: 1 });
  });
});
