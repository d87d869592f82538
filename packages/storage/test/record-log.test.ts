import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptLogError, RecordLog } from "../src/index.js";

const HEADER = 8;
const payload = (i: number, size = 100) => Buffer.from(`record ${i} `.padEnd(size, String.fromCharCode(97 + (i % 26))));

/** A log of `n` records in a fresh folder; returns its path and each record's offset. */
function logOf(n: number, size = 100): { path: string; offsets: number[] } {
  const path = join(mkdtempSync(join(tmpdir(), "record-log-")), "state.log");
  const { log } = RecordLog.open(path, () => {});
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) {
    offsets.push(log.size);
    log.append([payload(i, size)]);
  }
  log.close();
  return { path, offsets };
}

const replay = (path: string) => {
  const seen: string[] = [];
  const { log, recovery } = RecordLog.open(path, (r) => seen.push(r.toString()));
  log.close();
  return { seen, recovery };
};

const flip = (path: string, at: number) => {
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] as number) ^ 0x10;
  writeFileSync(path, bytes);
  return bytes;
};

describe("record log", () => {
  it("refuses to open over a bit flipped in a record that others follow, naming the file and offset, and changes nothing", () => {
    const { path, offsets } = logOf(10);
    const damaged = flip(path, (offsets[4] as number) + HEADER + 20);
    expect(() => replay(path)).toThrow(CorruptLogError);
    try {
      replay(path);
    } catch (error) {
      expect(error).toMatchObject({ path, offset: offsets[4], resumesAt: offsets[5] });
      expect((error as Error).message).toContain(`${path} is damaged at byte ${offsets[4]}`);
    }
    expect(readFileSync(path).equals(damaged)).toBe(true);
    expect(existsSync(`${path}.torn`)).toBe(false);
  });

  it("does not take a flipped length field for a torn tail", () => {
    const { path, offsets } = logOf(10);
    // The high byte of record 2's length: it now claims to run far past the end of the file.
    flip(path, (offsets[2] as number) + 3);
    expect(() => replay(path)).toThrow(CorruptLogError);
  });

  it("refuses a bit flipped anywhere in the last, whole record: damage, not a torn append", () => {
    const { path, offsets } = logOf(4, 20);
    const last = offsets[3] as number;
    const whole = readFileSync(path);
    // Every bit of its header (length and checksum) and of its payload, one at a time.
    for (let bit = 0; bit < (whole.length - last) * 8; bit++) {
      const bytes = Buffer.from(whole);
      bytes[last + (bit >> 3)] = (bytes[last + (bit >> 3)] as number) ^ (1 << (bit & 7));
      writeFileSync(path, bytes);
      expect(() => replay(path), `bit ${bit}`).toThrow(CorruptLogError);
      expect(readFileSync(path).equals(bytes)).toBe(true);
    }
    expect(existsSync(`${path}.torn`)).toBe(false);
    try {
      replay(path);
    } catch (error) {
      expect(error).toMatchObject({ path, offset: last, resumesAt: undefined });
      expect((error as Error).message).toContain("facerec repair");
    }
  });

  it("takes the last append cut short at any byte for a torn append, and cuts it", () => {
    const { path, offsets } = logOf(4, 20);
    const last = offsets[3] as number;
    const whole = readFileSync(path);
    for (let cut = last + 1; cut < whole.length; cut++) {
      writeFileSync(path, whole.subarray(0, cut));
      rmSync(`${path}.torn`, { force: true });
      const { seen, recovery } = replay(path);
      expect(seen, `cut at ${cut}`).toHaveLength(3);
      expect(recovery.discardedBytes).toBe(cut - last);
      expect(readFileSync(`${path}.torn`).equals(whole.subarray(last, cut))).toBe(true);
      expect(readFileSync(path).length).toBe(last);
    }
  });

  it("repairs a damaged last record by dropping it", () => {
    const { path, offsets } = logOf(4);
    flip(path, (offsets[3] as number) + HEADER + 7);
    const { records, damaged } = RecordLog.salvage(path);
    expect(records.map((r) => r.toString())).toEqual([0, 1, 2].map((i) => payload(i).toString()));
    expect(damaged).toEqual([{ offset: offsets[3], bytes: HEADER + 100 }]);
  });

  it("cuts a torn last append, keeping its bytes aside, and appends cleanly after it", () => {
    const { path } = logOf(5);
    const whole = readFileSync(path).length;
    const torn = Buffer.concat([Buffer.from([200, 0, 0, 0, 1, 2, 3, 4]), payload(99, 50)]);
    appendFileSync(path, torn);
    const { seen, recovery } = replay(path);
    expect(seen).toHaveLength(5);
    expect(recovery).toEqual({ records: 5, discardedBytes: torn.length });
    expect(readFileSync(path).length).toBe(whole);
    expect(readFileSync(`${path}.torn`).equals(torn)).toBe(true);
    const { log } = RecordLog.open(path, () => {});
    log.append([payload(5)]);
    log.close();
    expect(replay(path).seen).toHaveLength(6);
  });

  it("reads a damaged log without changing it, and salvages every record that verifies", () => {
    const { path, offsets } = logOf(10);
    flip(path, (offsets[3] as number) + HEADER + 5);
    flip(path, (offsets[7] as number) + HEADER + 5);
    const before = readFileSync(path);
    expect(() => RecordLog.read(path, () => {})).toThrow(CorruptLogError);
    const { records, damaged } = RecordLog.salvage(path);
    expect(records.map((r) => r.toString())).toEqual([0, 1, 2, 4, 5, 6, 8, 9].map((i) => payload(i).toString()));
    expect(damaged).toEqual([
      { offset: offsets[3], bytes: (offsets[4] as number) - (offsets[3] as number) },
      { offset: offsets[7], bytes: (offsets[8] as number) - (offsets[7] as number) },
    ]);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("rewrites a log to exactly the records given, over a stale rewrite and without the torn tail", () => {
    const { path } = logOf(5);
    appendFileSync(path, Buffer.concat([Buffer.from([200, 0, 0, 0, 1, 2, 3, 4]), payload(98, 50)]));
    expect(replay(path).recovery.discardedBytes).toBeGreaterThan(0);
    expect(existsSync(`${path}.torn`)).toBe(true);
    // What a rewrite that a crash cut short left behind: longer than the new log, and not records at all.
    writeFileSync(`${path}.rewriting`, Buffer.alloc(100_000, 0xab));
    const kept = [1, 3, ...Array.from({ length: 9000 }, (_, i) => 100 + i)].map((i) => payload(i, 40));
    RecordLog.rewrite(path, kept);
    expect(replay(path)).toEqual({ seen: kept.map((p) => p.toString()), recovery: { records: kept.length, discardedBytes: 0 } });
    expect(existsSync(`${path}.torn`)).toBe(false);
    expect(existsSync(`${path}.rewriting`)).toBe(false);
    expect(readFileSync(path).includes(payload(0, 40))).toBe(false);
    // Lazily, from a generator, and down to nothing.
    RecordLog.rewrite(path, (function* () {})());
    expect(readFileSync(path)).toHaveLength(0);
  });

  it("pages records back by offset", () => {
    const { path, offsets } = logOf(4);
    const { log } = RecordLog.open(path, () => {});
    expect(log.readAt(offsets[2] as number).toString()).toBe(payload(2).toString());
    log.close();
  });
});

/**
 * A filesystem that fills up: a 64 KiB tmpfs mounted for the test (root can), else /dev/full, where
 * every write fails with ENOSPC (no short writes there, but the refusal is real).
 */
function smallFilesystem(): { dir: string; cleanup: () => void } | { device: string } {
  const dir = mkdtempSync(join(tmpdir(), "tiny-fs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    return { dir, cleanup: () => execFileSync("umount", [dir]) };
  } catch {
    return { device: "/dev/full" };
  }
}

describe("record log on a full disk", () => {
  const fs = smallFilesystem();
  afterAll(() => {
    if ("cleanup" in fs) fs.cleanup();
  });

  it("never acknowledges an append that did not fit: it throws, the log is cut back, and a reopen has only what was acknowledged", () => {
    if ("device" in fs) {
      const { log } = RecordLog.open(fs.device, () => {});
      expect(() => log.append([payload(0)])).toThrow(/ENOSPC/);
      log.close();
      return;
    }
    const path = join(fs.dir, "state.log");
    mkdirSync(fs.dir, { recursive: true });
    const { log } = RecordLog.open(path, () => {});
    let acknowledged = 0;
    let size = 0;
    // 3 KiB records until the 64 KiB filesystem refuses one: that one is partly written, then taken back.
    for (;;) {
      try {
        log.append([payload(acknowledged, 3000)]);
        acknowledged++;
        size = log.size;
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
        break;
      }
      expect(acknowledged).toBeLessThan(100);
    }
    expect(acknowledged).toBeGreaterThan(5);
    expect(log.size).toBe(size);
    log.close();
    const { seen, recovery } = replay(path);
    expect(seen).toHaveLength(acknowledged);
    expect(recovery.discardedBytes).toBe(0);
  });
});
