import type { EnvironmentSource } from "../src/config/load";
import { dev } from "./dev";
import { prod } from "./prod";
import { stagingEks } from "./staging-eks";

/** Every workspace the app synthesizes, with the file each comes from (used in error messages). */
export const environmentSources: EnvironmentSource[] = [
  { file: "environments/dev.ts", data: dev },
  { file: "environments/prod.ts", data: prod },
  { file: "environments/staging-eks.ts", data: stagingEks },
];
