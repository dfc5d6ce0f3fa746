import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";

/**
 * A typed Kubernetes object (`kubernetes-models`, `@kubernetes-models/istio`, or the platform's
 * own models for CRDs without a published one): it checks itself against its schema.
 */
export interface KubernetesModel {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  /** Throws when the object breaks its schema (a missing required field, a wrong type, a value outside an enum). */
  validate(): void;
  toJSON(): object;
}

export interface EmitOptions {
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Fields other controllers change (an HPA sets a Deployment's replicas): Terraform accepts the
   * cluster's value there instead of reverting it.
   * @default the provider's default (metadata.annotations and metadata.labels)
   */
  readonly computedFields?: string[];
}

/**
 * Validates a typed object and emits it as a `kubernetes_manifest`: the JSON Terraform applies is
 * exactly the object that passed validation. An invalid object stops synthesis with its kind and name.
 */
export function emitManifest(scope: Construct, id: string, model: KubernetesModel, options: EmitOptions = {}): Manifest {
  try {
    model.validate();
  } catch (error) {
    throw new Error(`${model.kind} ${model.metadata?.namespace ?? ""}/${model.metadata?.name ?? ""} is not valid: ${(error as Error).message.split("\n")[0]}`);
  }
  return new Manifest(scope, id, {
    manifest: model.toJSON() as Record<string, unknown>,
    ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    ...(options.computedFields ? { computedFields: options.computedFields } : {}),
  });
}
