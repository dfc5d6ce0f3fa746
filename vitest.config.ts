import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globals: true,
    include: ["test/**/*.test.ts"],
    // The apply tier runs on its own: `npm run test:apply` (vitest.apply.config.ts).
    exclude: ["test/apply/**", "**/node_modules/**"],
    setupFiles: ["test/setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Synthesizing stacks is CPU-bound; the machine has two cores. Test files share each worker's
    // module cache (cdktf and the provider classes load once per worker, not once per file); no
    // suite keeps global state between files.
    pool: "forks",
    poolOptions: { forks: { isolate: false, minForks: 2, maxForks: 2 } },
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
