import type { Reporter, TestModule } from "vitest/node";

/** Ends every run with one plain line, `N passed, N failed[, N skipped]`, that any CI can read. */
export default class SummaryReporter implements Reporter {
  private line = "";

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    this.line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
  }

  // Called after the default reporter's own summary, so the plain line is the last one printed.
  onFinished(): void {
    if (this.line) process.stdout.write(`${this.line}\n`);
  }
}
