import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptLogError, JsonRecordStore } from "../src/index.js";

type Entry = { key: string; value: number };

/** A store's state as the skeleton builds it: the latest value of each key. */
function open(dir: string) {
  const state = new Map<string, number>();
  const store = JsonRecordStore.open(dir, "entries.log", (e: Entry) => {
    state.set(e.key, e.value);
    return state.size;
  });
  return { state, store };
}

describe("JSON record store", () => {
  it("replays what was appended, in order, through the same apply; rewrite keeps exactly what it is given", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "json-store-")), "folder");
    const first = open(dir);
    // Applied once it is written, and apply's answer goes back to the writer.
    expect(first.store.append({ key: "a", value: 1 })).toBe(1);
    expect(first.store.append({ key: "b", value: 2 })).toBe(2);
    expect(first.store.append({ key: "a", value: 3 })).toBe(2);
    expect([...first.state]).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
    first.store.close();
    const second = open(dir);
    expect([...second.state]).toEqual([...first.state]);
    second.store.rewrite([{ key: "a", value: 3 }]);
    expect(readFileSync(second.store.path).includes('"value":1')).toBe(false);
    // Appends after a rewrite go to the new log.
    second.store.append({ key: "c", value: 4 });
    second.store.close();
    expect([...open(dir).state]).toEqual([
      ["a", 3],
      ["c", 4],
    ]);
  });

  it("refuses to open a log whose last record was changed on disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "json-store-"));
    const { store } = open(dir);
    store.append({ key: "a", value: 1 });
    store.append({ key: "a", value: 2 });
    store.close();
    const path = join(dir, "entries.log");
    const bytes = readFileSync(path);
    bytes[bytes.lastIndexOf("2")] = "0".charCodeAt(0);
    writeFileSync(path, bytes);
    expect(() => open(dir)).toThrow(CorruptLogError);
    expect(() => open(dir)).toThrow(/the last record is whole but fails its checksum/);
  });
});
