import { defineConfig } from "vitest/config";

/**
 * The apply tier (`npm run test:apply`): every synthesized stack applied to its own AWS emulator,
 * read back, planned again and destroyed. Minutes, not seconds, so `npm test` leaves it out. The
 * stacks run in parallel inside one test file, each on its own emulator.
 */
export default defineConfig({
  test: {
    globals: true,
    include: ["test/apply/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 25 * 60_000,
  },
});
