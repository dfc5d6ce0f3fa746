/**
 * The `eks.apps` slice of an EKS environment's config: what the apps stack (Helm releases and
 * Kubernetes manifests) may be told. Part of the one config schema (src/config/schema.ts).
 */
import { z } from "zod";

export const eksAppsSchema = z.object({}).strict();

export type EksAppsConfig = z.infer<typeof eksAppsSchema>;
