import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PUSH_KEY_FILE, pushAllowed, pushKeyFor } from "../src/push-key.js";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("the edge's push key", () => {
  it("is made once in the data folder (0600 in 0700), and read back by later starts", () => {
    const data = join(mkdtempSync(join(tmpdir(), "edge-key-")), "data");
    const first = pushKeyFor(data, {});
    if (first.kind !== "stored") throw new Error(`made no key: ${first.kind}`);
    expect(first).toMatchObject({ made: true, file: join(data, PUSH_KEY_FILE) });
    expect(Buffer.from(first.key, "base64url")).toHaveLength(32);
    expect([mode(data), mode(first.file)]).toEqual([0o700, 0o600]);
    // A later start reads it, and closes the folder again if it was opened since.
    chmodSync(data, 0o755);
    expect(pushKeyFor(data, {})).toEqual({ ...first, made: false });
    expect(mode(data)).toBe(0o700);
  });

  it("takes EDGE_PUSH_KEY over the file, `none` for no key, and refuses an empty one", () => {
    const data = mkdtempSync(join(tmpdir(), "edge-key-"));
    expect(pushKeyFor(data, { EDGE_PUSH_KEY: " given\n" })).toEqual({ kind: "configured", key: "given" });
    expect(pushKeyFor(data, { EDGE_PUSH_KEY: "none" })).toEqual({ kind: "none" });
    expect(() => pushKeyFor(data, { EDGE_PUSH_KEY: "" })).toThrow(/EDGE_PUSH_KEY is empty.*EDGE_PUSH_KEY=none/);
    expect(() => pushKeyFor(data, { EDGE_PUSH_KEY: "  " })).toThrow(/EDGE_PUSH_KEY is empty/);
    // None of these made a key file.
    expect(() => readFileSync(join(data, PUSH_KEY_FILE))).toThrow(/ENOENT/);
  });

  it("refuses a key file with no key in it rather than taking any push", () => {
    const data = mkdtempSync(join(tmpdir(), "edge-key-"));
    writeFileSync(join(data, PUSH_KEY_FILE), "\n");
    expect(() => pushKeyFor(data, {})).toThrow(/holds no key: delete it/);
  });

  it("lets in a push whose bearer token is the key, and under `none` any push", () => {
    const key = { kind: "configured", key: "s3cret" } as const;
    expect(pushAllowed(key, "Bearer s3cret")).toBe(true);
    expect(pushAllowed(key, "bearer s3cret")).toBe(true);
    for (const header of [undefined, "", "Bearer ", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"])
      expect(pushAllowed(key, header), String(header)).toBe(false);
    expect(pushAllowed({ kind: "none" }, undefined)).toBe(true);
  });
});
