import { describe, expect, it } from "vitest";
import { engineConfigFromEnv } from "../src/index.js";

describe("the engine's configuration from the environment", () => {
  it("reads the execution providers in order, and refuses one it does not know", () => {
    expect(engineConfigFromEnv({ FACEREC_EXECUTION_PROVIDER: "cuda, cpu" }).session?.executionProviders).toEqual(["cuda", "cpu"]);
    expect(engineConfigFromEnv({}).session?.executionProviders).toBeUndefined();
    expect(() => engineConfigFromEnv({ FACEREC_EXECUTION_PROVIDER: "gpu" })).toThrow(/"gpu" is not one of cpu, cuda, tensorrt/);
    expect(() => engineConfigFromEnv({ FACEREC_GRAPH_OPT: "max" })).toThrow(/FACEREC_GRAPH_OPT=max/);
  });

  it("reads the threads per inference, and refuses what is not a whole number of them", () => {
    expect(engineConfigFromEnv({ FACEREC_THREADS: "3" }).session?.intraOpThreads).toBe(3);
    expect(engineConfigFromEnv({}).session?.intraOpThreads).toBeUndefined();
    expect(() => engineConfigFromEnv({ FACEREC_THREADS: "0" })).toThrow(/FACEREC_THREADS=0/);
    expect(() => engineConfigFromEnv({ FACEREC_THREADS: "1.5" })).toThrow(/FACEREC_THREADS=1.5/);
    expect(engineConfigFromEnv({ FACEREC_LIVENESS_HEAD: "/etc/facerec/head.json" }).livenessHead).toBe("/etc/facerec/head.json");
  });
});
