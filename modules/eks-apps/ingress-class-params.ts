/**
 * EKS Auto Mode's `IngressClassParams` (`eks.amazonaws.com/v1`, cluster-scoped): the load balancer
 * settings of an IngressClass whose controller is `eks.amazonaws.com/alb`. No published typed model
 * exists, so this one is written from the EKS user guide ("Create an IngressClass to configure an
 * Application Load Balancer") with the fields the platform may set; unknown fields are refused.
 */
import { z } from "zod";
import type { KubernetesModel } from "./manifest";

const tag = z.object({ key: z.string().min(1), value: z.string() }).strict();

const schema = z
  .object({
    apiVersion: z.literal("eks.amazonaws.com/v1"),
    kind: z.literal("IngressClassParams"),
    metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), labels: z.record(z.string()).optional() }).strict(),
    spec: z
      .object({
        scheme: z.enum(["internal", "internet-facing"]).optional(),
        ipAddressType: z.enum(["ipv4", "dualstack"]).optional(),
        certificateARNs: z.array(z.string().min(1)).min(1).optional(),
        group: z.object({ name: z.string().min(1) }).strict().optional(),
        subnets: z.object({ ids: z.array(z.string()).optional(), matchTags: z.array(z.object({ key: z.string(), values: z.array(z.string()) }).strict()).optional() }).strict().optional(),
        tags: z.array(tag).optional(),
        loadBalancerAttributes: z.array(tag).optional(),
      })
      .strict(),
  })
  .strict();

export type IngressClassParamsObject = z.infer<typeof schema>;

export class IngressClassParams implements KubernetesModel {
  readonly apiVersion = "eks.amazonaws.com/v1";
  readonly kind = "IngressClassParams";
  readonly metadata: IngressClassParamsObject["metadata"];
  readonly spec: IngressClassParamsObject["spec"];

  constructor(data: Pick<IngressClassParamsObject, "metadata" | "spec">) {
    this.metadata = data.metadata;
    this.spec = data.spec;
  }

  validate(): void {
    const result = schema.safeParse(this.toJSON());
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
  }

  toJSON(): IngressClassParamsObject {
    return { apiVersion: this.apiVersion, kind: this.kind, metadata: this.metadata, spec: this.spec };
  }
}
