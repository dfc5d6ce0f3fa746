import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globals: true,
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Synthesizing stacks is CPU-bound; the machine has two cores.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
