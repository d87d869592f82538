import { QdrantIndex } from "../src/index.js";
import { vectorIndexConformance } from "./conformance.js";
import { qdrantUnavailable, qdrantUrl, stopQdrant } from "./qdrant-server.js";

vectorIndexConformance(
  "qdrant index",
  async () => new QdrantIndex({ url: qdrantUrl(), dims: 512, prefix: `t${Date.now()}_` }),
  qdrantUnavailable,
  stopQdrant,
);
