import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelCatalogue, ModelPackError } from "../src/index.js";

function packWith(file: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "facerec-pack-"));
  const real = ModelCatalogue.builtIn().resolve("liveness");
  if (file) copyFileSync(real.path, join(dir, file));
  const manifest = {
    name: "test-pack",
    root: ".",
    models: { live: { ...real, id: undefined, path: undefined, file: "live.onnx" } },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  return join(dir, "manifest.json");
}

describe("model packs", () => {
  it("resolves the default pack's models from the install cache with verified checksums", () => {
    const catalogue = ModelCatalogue.builtIn();
    for (const role of ["detector", "landmarks", "embedder", "liveness"] as const) {
      const model = catalogue.resolve(role);
      expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(model.licence).toBe("MIT");
    }
  });

  it("loads an extra pack by path", () => {
    const catalogue = ModelCatalogue.builtIn([packWith("live.onnx")]);
    expect(catalogue.resolve("liveness", "live").path).toMatch(/live\.onnx$/);
  });

  it("names the missing file when a model is absent", () => {
    const catalogue = ModelCatalogue.builtIn([packWith(undefined)]);
    expect(() => catalogue.resolve("liveness", "live")).toThrow(ModelPackError);
    expect(() => catalogue.resolve("liveness", "live")).toThrow(/missing: .*live\.onnx does not exist/);
  });

  it("refuses a corrupt model file by its checksum", () => {
    const manifest = packWith("live.onnx");
    writeFileSync(join(manifest, "..", "live.onnx"), "not a model");
    const catalogue = ModelCatalogue.builtIn([manifest]);
    expect(() => catalogue.resolve("liveness", "live")).toThrow(/corrupt: .* has sha256 [0-9a-f]{64}, the manifest says/);
  });

  it("refuses unknown ids and wrong roles with the choices", () => {
    const catalogue = ModelCatalogue.builtIn();
    expect(() => catalogue.resolve("detector", "nope")).toThrow(/unknown model "nope"; known detector models: ultraface/);
    expect(() => catalogue.resolve("detector", "arcface512")).toThrow(/has role embedder, not detector/);
  });
});
