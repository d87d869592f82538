import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedIndex } from "../src/index.js";
import { vectorIndexConformance } from "./conformance.js";

vectorIndexConformance(
  "embedded index",
  () => EmbeddedIndex.open({ dir: mkdtempSync(join(tmpdir(), "facerec-index-")), dims: 512 }),
  async () => undefined,
);
