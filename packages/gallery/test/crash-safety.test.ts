import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptLogError } from "@facerec/storage";
import { describe, expect, it } from "vitest";
import { EmbeddedIndex } from "../src/index.js";

const filter = { tenant: "acme", model: "m" };

/** Run the writer until it has acknowledged `atLeast` upserts, then SIGKILL it mid-stream. */
function writeThenKill(dir: string, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "index-writer.mjs"), dir, "7"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked: string[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("ack ")) acked.push(line.slice(4));
      if (acked.length >= atLeast && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve(acked) : reject(new Error(`writer exited: ${signal}`))));
  });
}

describe("embedded index durability", () => {
  it("keeps every acknowledged template after the writer is killed with SIGKILL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facerec-crash-"));
    const acked = await writeThenKill(dir, 300);
    expect(acked.length).toBeGreaterThanOrEqual(300);
    const index = await EmbeddedIndex.open({ dir, dims: 512 });
    const count = await index.count(filter);
    // Every acknowledged write is there; at most the one in flight at the kill may be there too.
    expect(count).toBeGreaterThanOrEqual(acked.length);
    expect(count).toBeLessThanOrEqual(acked.length + 1);
    for (const id of [acked[0] as string, ...acked.slice(-20)]) {
      const subject = `s${Number(id.slice(1)) % 50}`;
      const vectors = await index.subjectVectors(filter, subject);
      const found = await Promise.all(vectors.map((v) => index.search(v, 1, filter)));
      expect(found.map((h) => h[0]?.id)).toContain(id);
    }
    await index.close();
  });

  it("detects a torn last record, loads what came before it, and appends cleanly after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facerec-torn-"));
    const index = await EmbeddedIndex.open({ dir, dims: 4 });
    const v = (a: number, b: number) => Float32Array.from([a, b, 0, 0]).map((x) => x / Math.hypot(a, b));
    await index.upsert([{ id: "a", subject: "alice", vector: v(1, 0), ...filter }]);
    await index.upsert([{ id: "b", subject: "bob", vector: v(0, 1), ...filter }]);
    await index.close();
    const log = join(dir, "index.log");
    const size = statSync(log).size;
    // A crash mid-write: a frame header promising 200 bytes, followed by only 5 of them.
    appendFileSync(log, Buffer.concat([Buffer.from([200, 0, 0, 0, 1, 2, 3, 4]), Buffer.from("torn!")]));
    const reopened = await EmbeddedIndex.open({ dir, dims: 4 });
    expect(reopened.recovery).toEqual({ records: 2, discardedBytes: 13 });
    expect(statSync(log).size).toBe(size);
    expect(await reopened.count(filter)).toBe(2);
    await reopened.upsert([{ id: "c", subject: "carol", vector: v(1, 1), ...filter }]);
    await reopened.close();
    const again = await EmbeddedIndex.open({ dir, dims: 4 });
    expect(again.recovery.discardedBytes).toBe(0);
    expect((await again.search(v(1, 1), 1, filter))[0]?.id).toBe("c");
    await again.close();
  });

  it("refuses a last record whose checksum does not match (bit rot): changed on disk, not a torn append", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facerec-rot-"));
    const index = await EmbeddedIndex.open({ dir, dims: 4 });
    await index.upsert([{ id: "a", subject: "alice", vector: Float32Array.from([1, 0, 0, 0]), ...filter }]);
    await index.upsert([{ id: "b", subject: "bob", vector: Float32Array.from([0, 1, 0, 0]), ...filter }]);
    await index.close();
    const log = join(dir, "index.log");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const bytes = readFileSync(log);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    writeFileSync(log, bytes);
    await expect(EmbeddedIndex.open({ dir, dims: 4 })).rejects.toThrow(CorruptLogError);
    expect(readFileSync(log).equals(bytes)).toBe(true);
  });

  it("compacts the log to its live points and reloads the same contents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facerec-compact-"));
    const index = await EmbeddedIndex.open({ dir, dims: 4 });
    for (let i = 0; i < 50; i++) {
      await index.upsert([{ id: `p${i % 5}`, subject: `s${i % 5}`, vector: Float32Array.from([1, i, 0, 0]), ...filter }]);
    }
    const before = statSync(join(dir, "index.log")).size;
    index.compact();
    expect(statSync(join(dir, "index.log")).size).toBeLessThan(before / 5);
    await index.close();
    const reopened = await EmbeddedIndex.open({ dir, dims: 4 });
    expect(await reopened.count(filter)).toBe(5);
    await reopened.close();
  });
});
