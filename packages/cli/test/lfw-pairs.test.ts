import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared, shared } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { parsePairs } from "../src/lfw-pairs.js";

describeWithShared("LFW pairs files", () => {
  it("reads View 1's test list: 500 matched then 500 mismatched pairs in one fold", () => {
    const root = shared("data", "lfw", "lfw-deepfunneled");
    const list = parsePairs(shared("data", "lfw", "pairsDevTest.txt"), root);
    expect(list.folds).toBe(1);
    expect(list.pairs).toHaveLength(1000);
    expect(list.pairs.filter((p) => p.same)).toHaveLength(500);
    expect(list.pairs[0]?.a).toBe(join(root, "Abdullah_Gul", "Abdullah_Gul_0013.jpg"));
  });
});

describe("LFW pairs format", () => {
  const write = (text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), "pairs-")), "pairs.txt");
    writeFileSync(path, text);
    return path;
  };

  it("reads the multi-fold View 2 layout", () => {
    const text = "2\t1\nA 1 2\nA 1 B 3\nC 4 5\nC 1 D 1\n";
    const list = parsePairs(write(text), "/r");
    expect(list.folds).toBe(2);
    expect(list.pairs.map((p) => [p.fold, p.same])).toEqual([
      [0, true],
      [0, false],
      [1, true],
      [1, false],
    ]);
    expect(list.pairs[1]?.b).toBe(join("/r", "B", "B_0003.jpg"));
  });

  it("names the file and line of a malformed pair", () => {
    expect(() => parsePairs(write("1\nA 1\nA 1 B 2\n"), "/r")).toThrow(/pairs\.txt:2: expected 3 or 4 fields/);
    expect(() => parsePairs(write("2\nA 1 2\n"), "/r")).toThrow(/header promises 4 pairs, found 1/);
    expect(() => parsePairs(write("x\n"), "/r")).toThrow(/first line must be/);
  });
});
