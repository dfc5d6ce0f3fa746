import { Namespace } from "kubernetes-models/v1/Namespace";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";

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

/** The StorageClass every volume claim without a class gets. */
export const DEFAULT_STORAGE_CLASS = "auto-ebs-sc";

/**
 * The cluster's default StorageClass: EBS volumes through EKS Auto Mode's own block-storage
 * provisioner (`ebs.csi.eks.amazonaws.com`), gp3, encrypted, created when a pod using the claim is
 * scheduled (so in that pod's zone). Auto Mode ships the provisioner but no StorageClass: without
 * one, the volume claims of Loki's and Mimir's stateful components stay Pending.
 */
export function storageClassObject(): StorageClass {
  return new StorageClass({
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "ebs.csi.eks.amazonaws.com",
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
    allowVolumeExpansion: true,
    parameters: { type: "gp3", encrypted: "true" },
  });
}
