/**
 * The EKS add-ons the platform installs, with pinned versions (one table; `aws eks
 * describe-addon-versions --addon-name <name> --kubernetes-version <version>` lists what a cluster
 * version accepts). Auto Mode already runs the VPC CNI, kube-proxy, CoreDNS, the EBS CSI driver, the
 * load balancer controller and the Pod Identity agent on its nodes, so none of those is an add-on
 * here: installing the `eks-pod-identity-agent` add-on on an Auto Mode cluster is not needed.
 */
export interface EksAddonSpec {
  /** The add-on's name in EKS. */
  readonly name: string;
  /** The exact add-on version (`v<upstream>-eksbuild.<n>`). */
  readonly version: string;
  /** What it is for. */
  readonly purpose: string;
}

export const EKS_ADDONS: readonly EksAddonSpec[] = [
  {
    name: "metrics-server",
    version: "v0.7.2-eksbuild.1",
    purpose: "resource metrics API for the Horizontal Pod Autoscaler (CPU and memory targets) and kubectl top",
  },
];

/** An add-on version EKS accepts: `v<major>.<minor>.<patch>-eksbuild.<n>`. */
export const ADDON_VERSION = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;
