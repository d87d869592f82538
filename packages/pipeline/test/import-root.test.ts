import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { insideImportRoot, OutsideImportError } from "../src/index.js";

describe("the import folder check", () => {
  const root = mkdtempSync(join(tmpdir(), "import-"));
  const outside = mkdtempSync(join(tmpdir(), "elsewhere-"));
  mkdirSync(join(root, "staff", "ada"), { recursive: true });
  writeFileSync(join(outside, "secret.jpg"), "not for import");
  symlinkSync(outside, join(root, "staff", "escape"));
  symlinkSync(join(root, "staff", "ada"), join(root, "alias"));

  it("accepts folders inside it, by their real path, symlinks that stay inside included", async () => {
    expect(await insideImportRoot(root, "staff")).toMatch(/staff$/);
    expect(await insideImportRoot(root, "alias")).toBe(await insideImportRoot(root, join("staff", "ada")));
  });

  it("refuses a symlink leading out, a path climbing out, and a folder that is not there", async () => {
    for (const path of [join("staff", "escape"), join("staff", "escape", "secret.jpg"), "../", outside, "missing"]) {
      await expect(insideImportRoot(root, path), path).rejects.toThrow(OutsideImportError);
    }
  });
});
