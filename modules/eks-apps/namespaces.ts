import { Namespace } from "kubernetes-models/v1/Namespace";

export interface PlatformNamespace {
  readonly name: string;
  /** Istio injects its sidecar into every pod (label `istio-injection=enabled`). */
  readonly injection: boolean;
}

/** A namespace with its Istio injection label and the Pod Security Standard level enforced on its pods. */
export function namespaceObject(ns: PlatformNamespace, podSecurity: "restricted" | "baseline" | "privileged"): Namespace {
  return new Namespace({
    metadata: {
      name: ns.name,
      labels: {
        "istio-injection": ns.injection ? "enabled" : "disabled",
        "pod-security.kubernetes.io/enforce": podSecurity,
      },
    },
  });
}
