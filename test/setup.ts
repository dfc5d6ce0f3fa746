import { setupJest } from "cdktf/lib/testing/adapters/jest";

// Registers the cdktf matchers (toHaveResourceWithProperties, ...) on vitest's global `expect`.
setupJest();
