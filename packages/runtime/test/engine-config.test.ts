import { describe, expect, it } from "vitest";
import { engineConfigFromEnv } from "../src/index.js";

describe("the engine's configuration from the environment", () => {
  it("reads the execution providers in order, and refuses one it does not know", () => {
    expect(engineConfigFromEnv({ FACEREC_EXECUTION_PROVIDER: "cuda, cpu" }).session?.executionProviders).toEqual(["cuda", "cpu"]);
    expect(engineConfigFromEnv({}).session?.executionProviders).toBeUndefined();
    expect(() => engineConfigFromEnv({ FACEREC_EXECUTION_PROVIDER: "gpu" })).toThrow(/"gpu" is not one of cpu, cuda, tensorrt/);
    expect(() => engineConfigFromEnv({ FACEREC_GRAPH_OPT: "max" })).toThrow(/FACEREC_GRAPH_OPT=max/);
  });
});
