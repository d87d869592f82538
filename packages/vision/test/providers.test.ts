import { describeWithShared, LFW } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { createSession, FaceEngine, ModelCatalogue, ort, ProviderError } from "../src/index.js";
import { load } from "./engine-fixture.js";

// The CPU install (ONNXRUNTIME_NODE_INSTALL_CUDA=skip, as .ci/run does) has no CUDA libraries; on a
// machine that has them these tests would see CUDA load, so they say so and skip.
const cudaBundled = ort.listSupportedBackends().some((b) => b.name === "cuda" && b.bundled);
const onCpuInstall = cudaBundled ? describe.skip : describe;
if (cudaBundled) console.warn("skipping the execution-provider fallback tests: this onnxruntime-node has CUDA");

onCpuInstall("execution providers on a machine without CUDA", () => {
  const detector = ModelCatalogue.builtIn().resolve("detector").path;

  it("falls back from cuda to the next provider and says which and why", async () => {
    const fallbacks: [string, string, string][] = [];
    const session = await createSession(detector, {
      executionProviders: ["cuda", "cpu"],
      onFallback: (provider, reason, next) => fallbacks.push([provider, reason, next]),
    });
    expect(session.inputNames.length).toBe(1);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]?.[0]).toBe("cuda");
    expect(fallbacks[0]?.[1]).toMatch(/shared library/i);
    expect(fallbacks[0]?.[2]).toBe("cpu");
  });

  it("refuses with a clear error when only a provider that cannot load is allowed", async () => {
    const refused = await createSession(detector, { executionProviders: ["tensorrt"] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as Error).message).toMatch(
      /tensorrt execution provider cannot run here .*FACEREC_EXECUTION_PROVIDER=tensorrt,cpu/,
    );
  });
});

describeWithShared("an engine asked for cuda,cpu on a machine without CUDA", () => {
  it.skipIf(cudaBundled)("embeds exactly as the CPU engine does", async () => {
    const cpu = await FaceEngine.create({ liveness: "none" });
    const fallen = await FaceEngine.create({ liveness: "none", session: { executionProviders: ["cuda", "cpu"] } });
    const image = await load(LFW("Gerhard_Schroeder", 1));
    const [a] = await cpu.analyse(image);
    const [b] = await fallen.analyse(image);
    expect(b?.embedding && a?.embedding && [...b.embedding]).toEqual(a?.embedding && [...a.embedding]);
  });
});
