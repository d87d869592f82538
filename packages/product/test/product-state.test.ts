import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptLogError, FolderLockedError } from "@facerec/storage";
import type { FaceEngine } from "@facerec/vision";
import { describe, expect, it } from "vitest";
import { openProductState } from "../src/index.js";

/** What opening the state reads of an engine: the embedder's size, id and calibrated threshold. */
const engine = {
  embedder: { dims: 4, id: "test-embedder", model: { thresholds: { "fmr_1e-3": 0.4 } } },
} as unknown as FaceEngine;
const files = {} as NodeJS.ProcessEnv;

describe("the product's state in a local folder", () => {
  it("holds the folder while open: a second open is refused naming the folder and this pid, and close lets it go", async () => {
    const data = mkdtempSync(join(tmpdir(), "product-"));
    const state = await openProductState(data, engine, files);
    const second = openProductState(data, engine, files);
    await expect(second).rejects.toThrow(FolderLockedError);
    await expect(second).rejects.toThrow(`the data folder ${data} is in use by process ${process.pid}`);
    await state.close();
    expect(existsSync(join(data, "lock"))).toBe(false);
    await (await openProductState(data, engine, files)).close();
  });

  it("lets the folder go when a store refuses to open, for `facerec repair` to take", async () => {
    const data = mkdtempSync(join(tmpdir(), "product-"));
    await (await openProductState(data, engine, files)).close();
    // A policy record whose checksum does not match its bytes: the last record, and whole.
    writeFileSync(join(data, "policy", "policy.log"), Buffer.from([2, 0, 0, 0, 1, 2, 3, 4, 123, 125]));
    await expect(openProductState(data, engine, files)).rejects.toThrow(CorruptLogError);
    expect(existsSync(join(data, "lock"))).toBe(false);
  });
});
