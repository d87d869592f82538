import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FolderLock, JsonRecordStore, RecordLog, writeDurably } from "../src/index.js";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("state files are the owner's alone", () => {
  let umask: number;
  beforeEach(() => {
    // The loosest umask there is: the modes must not depend on it.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it("creates logs, durable writes and store folders 0600 and 0700, whatever the umask", () => {
    const dir = mkdtempSync(join(tmpdir(), "private-"));
    const store = JsonRecordStore.open(join(dir, "store", "nested"), "records.log", () => {});
    store.append({ a: 1 });
    store.rewrite([{ a: 2 }]);
    store.close();
    writeDurably(join(dir, "heads.json"), "{}");
    expect([mode(join(dir, "store")), mode(join(dir, "store", "nested"))]).toEqual([0o700, 0o700]);
    expect([mode(join(dir, "store", "nested", "records.log")), mode(join(dir, "heads.json"))]).toEqual([0o600, 0o600]);
  });

  it("takes group and other access from what an earlier version left open, when it is opened", () => {
    const dir = mkdtempSync(join(tmpdir(), "private-"));
    const folder = join(dir, "keys");
    mkdirSync(folder, { mode: 0o755 });
    writeFileSync(join(folder, "keys.log"), "", { mode: 0o644 });
    writeFileSync(join(dir, "heads.json.tmp"), "torn", { mode: 0o644 });
    JsonRecordStore.open(folder, "keys.log", () => {}).close();
    writeDurably(join(dir, "heads.json"), "{}");
    expect([mode(folder), mode(join(folder, "keys.log")), mode(join(dir, "heads.json"))]).toEqual([0o700, 0o600, 0o600]);
    const log = join(dir, "plain.log");
    writeFileSync(log, "", { mode: 0o664 });
    RecordLog.open(log, () => {}).log.close();
    expect(mode(log)).toBe(0o600);
  });

  it("has the holder of a data folder create everything private, the folders its stores make themselves included", () => {
    const data = join(mkdtempSync(join(tmpdir(), "private-")), "data");
    const lock = FolderLock.acquire(data);
    try {
      // As a store that makes its folders and files without a mode does.
      mkdirSync(join(data, "graphs"));
      writeFileSync(join(data, "graphs", "graph.bin"), "x");
      expect([mode(data), mode(join(data, "lock")), mode(join(data, "graphs")), mode(join(data, "graphs", "graph.bin"))]).toEqual(
        [0o700, 0o600, 0o700, 0o600],
      );
    } finally {
      lock.release();
    }
  });
});
