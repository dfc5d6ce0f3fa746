/**
 * The `eks.apps` slice of an EKS environment's config: what the apps stack (Helm releases and
 * Kubernetes manifests) may be told. Part of the one config schema (src/config/schema.ts). Every
 * field has a default, so an EKS environment may leave the slice out.
 */
import { z } from "zod";

/** An exact chart version: Helm would read a range ("^1.2", "1.x", "~1.2.3") as "the newest that matches", so a later apply could install another chart. */
const pinnedChartVersion = z
  .string()
  .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be an exact chart version such as 1.26.3 (no ranges, no wildcards, no leading v)");

const hostname = z
  .string()
  .max(253)
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case host name, optionally with a leading *.");

/** The charts whose version an environment may override (Istio's three charts share one version). */
export const CHART_KEYS = ["istio", "loki", "mimir", "tempo", "grafana", "alloy"] as const;
export type ChartKey = (typeof CHART_KEYS)[number];

export const eksAppsSchema = z
  .object({
    /**
     * Chart version per chart, replacing the version the module pins (modules/eks-apps/charts/*.ts).
     * Exact versions only. @default the module's pinned versions
     */
    chartVersions: z
      .object(Object.fromEntries(CHART_KEYS.map((k) => [k, pinnedChartVersion.optional()])) as Record<ChartKey, z.ZodOptional<typeof pinnedChartVersion>>)
      .strict()
      .default({}),
    /**
     * Host names the external gateway (internet-facing ALB) answers for; the services' `public.hostHeaders`
     * must be among them. @default ["*"] (any host)
     */
    externalHosts: z.array(hostname.or(z.literal("*"))).min(1).default(["*"]),
    /** Host names the internal gateway (internal NLB, inside the VPC) answers for. @default ["*"] */
    internalHosts: z.array(hostname.or(z.literal("*"))).min(1).default(["*"]),
    /** Replicas of each gateway (external and internal) before its HPA scales it. @default 2 */
    gatewayReplicas: z.number().int().min(1).max(20).default(2),
    /** Replicas of each observability component (Loki, Mimir, Tempo tiers, Grafana). @default 2 */
    observabilityReplicas: z.number().int().min(1).max(10).default(2),
    /** Days of logs Loki and traces Tempo keep (the buckets' lifecycle deletes older objects). @default 30 */
    retentionDays: z.number().int().min(1).max(3650).default(30),
  })
  .strict();

export type EksAppsConfig = z.infer<typeof eksAppsSchema>;
export type EksAppsInput = z.input<typeof eksAppsSchema>;
