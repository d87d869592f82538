import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LFW, shared } from "@facerec/testkit";

/** The recognition scenarios both transports must pass, with the answers checked by eye. */
export const knn = (...p: string[]): string => shared("data", "facerec_examples", "knn_examples", ...p);
const bbt = (...p: string[]): string => shared("data", "faceapi_bbt", ...p);

/** Each enrolled person's training photos, by name. */
export function people(root: "knn" | "bbt"): { name: string; photos: Buffer[] }[] {
  const dir = root === "knn" ? knn("train") : bbt("identities");
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, photos: readdirSync(join(dir, name)).map((f) => readFileSync(join(dir, name, f))) }));
}

/** Test photos of the five knn people and who is in them, left to right. */
export const knnCases: [string, string[]][] = [
  [knn("test", "obama1.jpg"), ["obama"]],
  [knn("test", "alex_lacamoire1.jpg"), ["alex_lacamoire"]],
  [knn("test", "kit_with_rose.jpg"), ["rose_leslie", "kit_harington"]],
  [knn("test", "johnsnow_test1.jpg"), ["kit_harington"]],
];

/** People never enrolled. */
export const strangers = (): string[] => [LFW("George_W_Bush", 1), LFW("Serena_Williams", 3)];

/** A group scene with every face named, left to right by box. */
export const bbtScene: [string, string[]] = [
  bbt("group", "bbt4.jpg"),
  ["leonard", "amy", "raj", "penny", "sheldon", "bernadette"],
];
/** Group scenes in which at least four distinct cast members are found, no one twice. */
export const bbtCrowds = (): string[] => ["bbt1.jpg", "bbt3.jpg", "bbt5.jpg"].map((f) => bbt("group", f));
