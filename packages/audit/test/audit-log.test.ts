import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AuditLog, type AuditRecord } from "../src/index.js";

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
    scores: [0.71, 0.2],
    requestId: "r2",
    latencyMs: 85,
  },
  { tenant: "acme", keyId: "k2", operation: "identify", decision: "rejected-spoof", scores: [0.12], requestId: "r3" },
  { tenant: "globex", keyId: "k9", operation: "identify", decision: "unknown", requestId: "r4" },
  { tenant: "acme", keyId: "-", operation: "auth", decision: "rejected-auth", requestId: "r5" },
  { tenant: "acme", keyId: "k1", operation: "delete", subjectId: "s1", decision: "erased", requestId: "r6" },
];

function filled(): { dir: string; audit: AuditLog } {
  const dir = mkdtempSync(join(tmpdir(), "audit-"));
  const audit = AuditLog.open(dir);
  for (const d of decisions) audit.append(d);
  return { dir, audit };
}

/** The log's frames as [offset, payload] pairs. */
function frames(path: string): { offset: number; payload: Buffer }[] {
  const data = readFileSync(path);
  const out = [];
  for (let o = 0; o < data.length; ) {
    const length = data.readUInt32LE(o);
    out.push({ offset: o, payload: data.subarray(o + 8, o + 8 + length) });
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

describe("audit trail", () => {
  it("records every decision, rejections included, and pages one tenant's entries", () => {
    const { audit } = filled();
    const first = audit.query({ tenant: "acme", pageSize: 2 });
    expect(first.entries.map((e) => e.requestId)).toEqual(["r1", "r2"]);
    const second = audit.query({ tenant: "acme", pageSize: 2, pageToken: first.nextPageToken as string });
    expect(second.entries.map((e) => e.requestId)).toEqual(["r3", "r5"]);
    const third = audit.query({ tenant: "acme", pageSize: 2, pageToken: second.nextPageToken as string });
    expect(third.entries.map((e) => e.requestId)).toEqual(["r6"]);
    expect(third.nextPageToken).toBeUndefined();
    expect(audit.query({ tenant: "acme", decision: "rejected-spoof" }).entries).toHaveLength(1);
    expect(audit.query({ tenant: "acme", subjectId: "s1", operation: "identify" }).entries).toHaveLength(1);
    expect(audit.query({ tenant: "globex" }).entries.map((e) => e.requestId)).toEqual(["r4"]);
    expect(audit.verify()).toEqual({ intact: true, entries: 6 });
  });

  it("continues the chain after a restart", () => {
    const { dir, audit } = filled();
    audit.close();
    const reopened = AuditLog.open(dir);
    expect(
      reopened.append({ tenant: "acme", keyId: "k1", operation: "verify", decision: "match", requestId: "r7" }).sequence,
    ).toBe(7);
    expect(reopened.verify()).toEqual({ intact: true, entries: 7 });
  });

  it("detects an entry edited with its checksum fixed up", () => {
    const { dir, audit } = filled();
    const path = join(dir, "audit.log");
    const payloads = frames(path).map((f) => f.payload);
    const edited = JSON.parse(payloads[2]?.toString() ?? "{}");
    edited.decision = "match";
    payloads[2] = Buffer.from(JSON.stringify(edited));
    rewrite(path, payloads);
    expect(audit.verify()).toMatchObject({ intact: false, firstBroken: 3 });
  });

  it("detects an entry edited in place (its checksum no longer matches) without destroying what follows", () => {
    const { dir, audit } = filled();
    const path = join(dir, "audit.log");
    const bytes = readFileSync(path);
    const at = bytes.indexOf("rejected-spoof");
    bytes.write("accepted-spoof", at);
    writeFileSync(path, bytes);
    const result = audit.verify();
    expect(result.intact).toBe(false);
    expect(result.reason).toMatch(/unreadable bytes after entry 2/);
    expect(readFileSync(path).length).toBe(bytes.length);
    const reopened = AuditLog.open(dir);
    expect(() => reopened.append(decisions[0] as AuditRecord)).toThrow(/refusing to append/);
  });

  it("detects a removed entry and entries cut off the end", () => {
    const { dir, audit } = filled();
    const path = join(dir, "audit.log");
    const payloads = frames(path).map((f) => f.payload);
    rewrite(path, [...payloads.slice(0, 3), ...payloads.slice(4)]);
    expect(audit.verify()).toMatchObject({ intact: false, firstBroken: 4 });
    rewrite(path, payloads.slice(0, 5));
    expect(audit.verify()).toMatchObject({ intact: false, firstBroken: 6, reason: expect.stringMatching(/cut off the end/) });
  });
});
