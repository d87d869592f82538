import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Pair {
  a: string;
  b: string;
  same: boolean;
  fold: number;
}

export interface PairList {
  folds: number;
  pairs: Pair[];
}

const imagePath = (root: string, name: string, n: string): string => join(root, name, `${name}_${n.padStart(4, "0")}.jpg`);

/**
 * Parse an LFW pairs file. The header is either `<pairs per class>` (View 1) or
 * `<folds><TAB><pairs per class>` (View 2); each fold lists its matched pairs (`Name n1 n2`)
 * then its mismatched pairs (`Name1 n1 Name2 n2`).
 */
export function parsePairs(file: string, root: string): PairList {
  const lines = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  const header = (lines.shift() ?? "").trim().split(/\s+/).map(Number);
  if (header.length === 0 || header.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`${file}: the first line must be "<pairs per class>" or "<folds> <pairs per class>"`);
  }
  const [folds, perClass] = header.length === 2 ? (header as [number, number]) : [1, header[0] as number];
  if (lines.length !== folds * perClass * 2) {
    throw new Error(`${file}: header promises ${folds * perClass * 2} pairs, found ${lines.length}`);
  }
  const pairs = lines.map((line, i): Pair => {
    const t = line.trim().split(/\s+/);
    const fold = Math.floor(i / (2 * perClass));
    const [name, n1 = "", second = "", n2 = ""] = t;
    if (t.length === 3 && name) return { a: imagePath(root, name, n1), b: imagePath(root, name, second), same: true, fold };
    if (t.length === 4 && name) return { a: imagePath(root, name, n1), b: imagePath(root, second, n2), same: false, fold };
    throw new Error(`${file}:${i + 2}: expected 3 or 4 fields, got "${line}"`);
  });
  return { folds, pairs };
}
