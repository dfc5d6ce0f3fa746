import { z } from "zod";
import type { RefinementCtx } from "zod";
import { parseCidr } from "../lib/cidr";
import { LOG_RETENTION_DAYS, isLogRetention } from "../lib/logs";
import { principalArn } from "./access";
import { eksAppsSchema } from "./eks-apps";

/** Kubernetes versions EKS Auto Mode clusters run (standard support and extended support). */
export const EKS_VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33"] as const;

/** The control-plane log types EKS can send to CloudWatch Logs. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

const logRetentionDays = z
  .number()
  .int()
  .refine(isLogRetention, { message: `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})` });

/** An IPv4 CIDR of any prefix (a client network allowed to reach the public endpoint). */
const clientCidr = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
});

const retentionDays = (fallback: number) => z.number().int().min(1).max(3650).default(fallback);

/**
 * `eks`: the AWS side of an EKS workspace (`compute: "eks"`): the Auto Mode cluster, who administers
 * it, its control-plane logs and the observability stores. `apps` is what the apps stack reads.
 */
export const eksSchema = z
  .object({
    /** Kubernetes version of the control plane (Auto Mode keeps the nodes on it). @default "1.32" */
    version: z.enum(EKS_VERSIONS).default("1.32"),
    /**
     * The API server endpoint. Private access is always on (nodes and the VPC reach it); the public
     * endpoint is off unless `publicAccess`, and then open only to `publicAccessCidrs`.
     */
    endpoint: z
      .object({
        /** Serve the API on a public endpoint too. @default false */
        publicAccess: z.boolean().default(false),
        /** Client networks allowed on the public endpoint (required with publicAccess). @default [] */
        publicAccessCidrs: z.array(clientCidr).max(40, "EKS accepts at most 40 public access CIDRs").default([]),
      })
      .strict()
      .default({}),
    /** IAM principals given cluster-admin through access entries (besides the CI apply role). @default [] */
    admins: z.array(principalArn).default([]),
    /** Control-plane log types sent to `/aws/eks/<cluster>/cluster`. @default all five */
    controlPlaneLogTypes: z
      .array(z.enum(EKS_LOG_TYPES))
      .refine((types) => new Set(types).size === types.length, "lists a log type twice")
      .default([...EKS_LOG_TYPES]),
    /** Retention of the control-plane log group, days. @default 90 */
    controlPlaneLogRetentionDays: logRetentionDays.default(90),
    /** Days the observability stores keep their objects (each bucket's lifecycle expiry). */
    observabilityRetentionDays: z
      .object({
        /** Loki's chunks and index. @default 30 */
        logs: retentionDays(30),
        /** Mimir's blocks. @default 90 */
        metrics: retentionDays(90),
        /** Tempo's traces. @default 14 */
        traces: retentionDays(14),
      })
      .strict()
      .default({}),
    /** The apps stack's settings (Helm releases and manifests; src/config/eks-apps.ts). */
    apps: eksAppsSchema.default({}),
  })
  .strict();

export type EksConfig = z.output<typeof eksSchema>;

/** Service fields only ECS reads (Fargate/EC2 placement, ECS Exec, ALB target-group settings). */
const ECS_ONLY_SERVICE_FIELDS = ["capacity", "ec2", "containerHealthCheck", "deregistrationDelaySeconds", "requestsPerTarget"] as const;

interface EksCheckedEnvironment {
  readonly stage: string;
  readonly compute: "ecs" | "eks";
  readonly eks?: EksConfig;
  readonly services?: ReadonlyArray<{
    readonly compute: string;
    readonly enableExecuteCommand: boolean;
    readonly capacity?: unknown;
    readonly ec2?: unknown;
    readonly containerHealthCheck?: unknown;
    readonly deregistrationDelaySeconds?: unknown;
    readonly requestsPerTarget?: unknown;
    readonly tables?: readonly unknown[];
    readonly externalServices?: readonly unknown[];
    readonly dataApi?: boolean;
  }>;
  readonly scheduledTasks: readonly unknown[];
  readonly access: { readonly enabled: boolean };
  readonly dataPipeline?: { readonly enabled: boolean };
  readonly disasterRecovery?: unknown;
  readonly domain?: unknown;
  readonly operations: { readonly waf: boolean };
}

/**
 * The rules between `compute` and the rest: an EKS workspace refuses what only ECS runs (and the
 * parts of the platform not built on EKS yet), an ECS workspace refuses an `eks` block, and the
 * public endpoint stays closed to the internet at large in production.
 */
export function checkCompute(env: EksCheckedEnvironment, ctx: RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (env.compute === "ecs") {
    if (env.eks !== undefined) issue(["eks"], 'is for compute "eks"; this workspace runs on ECS (set compute: "eks" or remove the block)');
    return;
  }
  env.services?.forEach((svc, i) => {
    if (svc.compute !== "fargate") issue(["services", i, "compute"], `"${svc.compute}" is an ECS capacity; with compute "eks" EKS Auto Mode places the pods`);
    if (svc.enableExecuteCommand) issue(["services", i, "enableExecuteCommand"], 'is ECS Exec; with compute "eks" use kubectl exec');
    for (const field of ECS_ONLY_SERVICE_FIELDS) {
      if (svc[field] !== undefined) issue(["services", i, field], 'is ECS-only; with compute "eks" the apps stack sets probes, scaling and routes');
    }
    // Table, external-service and data-API grants are built for ECS task roles only so far.
    if (svc.tables?.length) issue(["services", i, "tables"], 'table grants are built with compute "ecs" only; leave the list empty on EKS');
    if (svc.externalServices?.length) issue(["services", i, "externalServices"], 'external-service grants are built with compute "ecs" only; leave the list empty on EKS');
    if (svc.dataApi) issue(["services", i, "dataApi"], 'data API grants are built with compute "ecs" only; set it to false on EKS');
  });
  if (env.scheduledTasks.length > 0) issue(["scheduledTasks"], 'scheduled tasks run on ECS only; with compute "eks" leave the list empty');
  if (env.access.enabled) issue(["access", "enabled"], 'the access host serves ECS workspaces; with compute "eks" reach the cluster through its endpoint');
  if (env.dataPipeline?.enabled) issue(["dataPipeline", "enabled"], 'the data pipeline is built with compute "ecs" only');
  if (env.disasterRecovery !== undefined) issue(["disasterRecovery"], 'disaster recovery is built with compute "ecs" only');
  if (env.domain !== undefined) issue(["domain"], 'with compute "eks" give the external gateway a certificate with loadBalancer.certificateArn');
  if (!env.operations.waf) issue(["operations", "waf"], 'with compute "eks" the external gateway\'s load balancer is always behind the WAF');
  const endpoint = env.eks?.endpoint;
  if (!endpoint) return;
  if (!endpoint.publicAccess && endpoint.publicAccessCidrs.length > 0) {
    issue(["eks", "endpoint", "publicAccessCidrs"], "is for the public endpoint; publicAccess is false");
  }
  if (endpoint.publicAccess && endpoint.publicAccessCidrs.length === 0) {
    issue(["eks", "endpoint", "publicAccessCidrs"], "publicAccess needs the client networks allowed (EKS would open the endpoint to 0.0.0.0/0)");
  }
  endpoint.publicAccessCidrs.forEach((cidr, i) => {
    const parsed = parseCidr(cidr);
    if (env.stage === "production" && typeof parsed !== "string" && parsed.prefix === 0) {
      issue(["eks", "endpoint", "publicAccessCidrs", i], `production: the public endpoint cannot be open to ${cidr}`);
    }
  });
}

/** Adds an issue when a highly available service could run on fewer than two pods. */
export function checkHighAvailability(svc: { highlyAvailable: boolean; minCount: number }, ctx: RefinementCtx): void {
  if (svc.highlyAvailable && svc.minCount < 2) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["minCount"],
      message: `highlyAvailable needs at least 2 replicas (minCount is ${svc.minCount})`,
    });
  }
}
