import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { ModelPackError } from "./errors.js";
import { modelCacheDir, packsDir, sharedDir } from "./paths.js";

export type Role = "detector" | "landmarks" | "embedder" | "liveness";
export type Colour = "RGB" | "BGR" | "GREY";

export interface InputSpec {
  width: number;
  height: number;
  layout: "NCHW";
  colour: Colour;
  /** Each channel value fed to the model is (pixel - mean) / std. */
  mean: number;
  std: number;
}

export interface ModelSpec {
  role: Role;
  file: string;
  sha256: string;
  input: InputSpec;
  decoder: "ultraface" | "yunet" | "scrfd" | "landmarks68" | "embedding" | "softmax";
  licence: string;
  dims?: number;
  liveClasses?: number[];
  cropScale?: number;
  /**
   * Embedders: cosine thresholds calibrated on data, e.g. `verify` (best 1:1 accuracy) and `fmr_1e-3`
   * (false-match rate 1e-3 on impostor pairs, the default for 1:N); `calibration` says how they were measured.
   */
  thresholds?: Record<string, number>;
  calibration?: string;
  /** Anything else a reader of the manifest should know (how a variant was made, say). */
  note?: string;
}

export interface PackManifest {
  name: string;
  description?: string;
  /** "cache": files sit in the model cache under the pack's name; "shared": under ../shared/models; else a path. */
  root: string;
  models: Record<string, ModelSpec>;
  defaults?: Partial<Record<Role, string>>;
}

/** A model ready to load: its spec plus the verified absolute path of its file. */
export interface ResolvedModel extends ModelSpec {
  id: string;
  path: string;
}

export function readManifest(path: string): PackManifest {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as PackManifest;
  } catch (error) {
    throw new ModelPackError(`cannot read model pack manifest ${path}: ${(error as Error).message}`);
  }
}

function packRoot(manifest: PackManifest, manifestDir: string): string {
  if (manifest.root === "cache") return join(modelCacheDir(), manifest.name);
  if (manifest.root === "shared") return join(sharedDir(), "models");
  return isAbsolute(manifest.root) ? manifest.root : join(manifestDir, manifest.root);
}

/**
 * Manifests of pack variants made on this machine (`facerec models quantize`), beside the files they
 * name in the model cache: read like the repository's own, after them.
 */
export const generatedPacksDir = (): string => join(modelCacheDir(), "packs");

const verified = new Map<string, string>();

function verifyFile(path: string, sha256: string, id: string): void {
  if (verified.get(path) === sha256) return;
  if (!existsSync(path)) {
    throw new ModelPackError(
      `model "${id}" is missing: ${path} does not exist (the default pack is installed by \`pnpm install\`; extra packs come from ../shared/models or FACEREC_SHARED)`,
    );
  }
  const actual = createHash("sha256").update(readFileSync(path)).digest("hex");
  if (actual !== sha256) {
    throw new ModelPackError(`model "${id}" is corrupt: ${path} has sha256 ${actual}, the manifest says ${sha256}`);
  }
  verified.set(path, sha256);
}

/** Every model named by the built-in manifests plus any extra manifest files. */
export class ModelCatalogue {
  private readonly entries = new Map<string, { spec: ModelSpec; root: string }>();
  readonly defaults: Partial<Record<Role, string>> = {};

  constructor(manifestPaths: string[]) {
    for (const path of manifestPaths) {
      const manifest = readManifest(path);
      const root = packRoot(manifest, join(path, ".."));
      for (const [id, spec] of Object.entries(manifest.models)) this.entries.set(id, { spec, root });
      for (const [role, id] of Object.entries(manifest.defaults ?? {})) this.defaults[role as Role] ??= id;
    }
  }

  /** The repository's packs, then those made on this machine (generatedPacksDir), then `extra`. */
  static builtIn(extra: string[] = []): ModelCatalogue {
    const own = readdirSync(packsDir)
      .filter((f) => f.endsWith(".json"))
      .sort((a, b) => (a.startsWith("faceplugin") ? -1 : b.startsWith("faceplugin") ? 1 : a.localeCompare(b)))
      .map((f) => join(packsDir, f));
    const generated = existsSync(generatedPacksDir())
      ? readdirSync(generatedPacksDir())
          .filter((f) => f.endsWith(".json"))
          .sort()
          .map((f) => join(generatedPacksDir(), f))
      : [];
    return new ModelCatalogue([...own, ...generated, ...extra]);
  }

  ids(role?: Role): string[] {
    return [...this.entries].filter(([, e]) => !role || e.spec.role === role).map(([id]) => id);
  }

  /** Look a model up by id (or the role's default), check its role, and verify its file's checksum. */
  resolve(role: Role, id: string | undefined = this.defaults[role]): ResolvedModel {
    if (!id) throw new ModelPackError(`no ${role} model is configured and the packs name no default`);
    const entry = this.entries.get(id);
    if (!entry) throw new ModelPackError(`unknown model "${id}"; known ${role} models: ${this.ids(role).join(", ")}`);
    if (entry.spec.role !== role) throw new ModelPackError(`model "${id}" has role ${entry.spec.role}, not ${role}`);
    const path = join(entry.root, entry.spec.file);
    verifyFile(path, entry.spec.sha256, id);
    return { ...entry.spec, id, path };
  }
}
