import { App } from "cdktf";
import type { EnvironmentConfig } from "./config/schema";
import { BootstrapStack } from "./stacks/bootstrap";
import { WorkspaceStack } from "./stacks/workspace";

export interface PlatformApp {
  readonly app: App;
  readonly bootstrap: BootstrapStack;
  readonly workspaces: WorkspaceStack[];
}

/** Builds every stack from already-validated environments. */
export function buildApp(environments: readonly EnvironmentConfig[], outdir?: string): PlatformApp {
  const app = new App({ outdir, skipValidation: false });
  const bootstrap = new BootstrapStack(app, { environments });
  const workspaces = environments.map((config) => new WorkspaceStack(app, config));
  return { app, bootstrap, workspaces };
}
