import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Model sessions use both cores already; parallel files would only thrash.
    fileParallelism: false,
    // expect.poll waits for what a page or a process does next. Vitest's 1 s default was too short
    // once: an identify in the console took longer on a loaded machine. A condition that never holds
    // still fails, 30 s later.
    expect: { poll: { timeout: 30_000 } },
  },
});
