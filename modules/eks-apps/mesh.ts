/**
 * The Istio mesh: `base` (CRDs), `istiod`, and two ingress gateways. The external gateway sits
 * behind an internet-facing ALB that EKS Auto Mode creates for an Ingress (IngressClass with
 * controller `eks.amazonaws.com/alb` and IngressClassParams), associated with the regional WAF web
 * ACL through the `alb.ingress.kubernetes.io/wafv2-acl-arn` annotation (a WAF ACL attaches to an ALB,
 * never to an NLB). The internal gateway is an internal NLB (Service of class `eks.amazonaws.com/nlb`).
 * Both get an Istio `Gateway` for HTTP on their hosts, and the apps namespace gets STRICT mTLS.
 */
import type { Release } from "@cdktf/provider-helm/lib/release";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { IngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import { principal } from "./application";
import {
  GATEWAY_HTTP_PORT,
  GATEWAY_STATUS_PORT,
  ISTIO_BASE_CHART,
  ISTIO_GATEWAY_CHART,
  ISTIOD_CHART,
  istioBaseValues,
  istiodValues,
  istioGatewayValues,
} from "./charts/istio";
import { IngressClassParams } from "./ingress-class-params";
import { emitManifest, type KubernetesModel } from "./manifest";
import { chartRelease } from "./release";

/** EKS Auto Mode's ALB controller name (an IngressClass's `spec.controller`). */
export const AUTO_MODE_ALB_CONTROLLER = "eks.amazonaws.com/alb";

export interface IstioMeshProps {
  /** Namespace of istiod (and `base`). */
  readonly istioNamespace: string;
  /** Namespace of both gateways. */
  readonly ingressNamespace: string;
  /** Namespace of the applications: STRICT mTLS. */
  readonly appsNamespace: string;
  /** Exact Istio chart version. @default the pinned ISTIO_VERSION */
  readonly version?: string;
  /** istiod replicas (its HPA floor). @default 2 */
  readonly istiodReplicas?: number;
  /** Replicas of each gateway (its HPA floor). */
  readonly gatewayReplicas: number;
  /** Hosts of the external gateway's Istio Gateway. */
  readonly externalHosts: readonly string[];
  /** Hosts of the internal gateway's Istio Gateway. */
  readonly internalHosts: readonly string[];
  /** Regional WAF web ACL of the external ALB. */
  readonly webAclArn: string;
  /** ACM certificate of the external ALB's HTTPS listener. @default none (HTTP on port 80 only) */
  readonly certificateArn?: string;
  /** The collector's OTLP gRPC host and port (the sidecars' tracing provider). */
  readonly otlpHost: string;
  readonly otlpPort: number;
  /** What everything waits for (the namespaces). @default none */
  readonly dependsOn?: ITerraformDependable[];
  /** Physical name of the ALB (at most 32 characters). */
  readonly loadBalancerName: string;
  /** Deletion protection of the external ALB (on in production). @default true */
  readonly deletionProtection?: boolean;
}

/** A gateway: its release name (also its service account), the pods' `istio` label, and its Istio Gateway. */
interface GatewayNames {
  readonly release: string;
  readonly selector: string;
  /** `<namespace>/<name>` of its Istio Gateway, as VirtualServices reference it. */
  readonly gateway: string;
}

export class IstioMesh extends Construct {
  readonly base: Release;
  readonly istiod: Release;
  readonly external: GatewayNames;
  readonly internal: GatewayNames;
  /** The mTLS principals of the two gateways (public services admit them). */
  readonly gatewayPrincipals: readonly string[];
  /** What Istio resources (Gateway, VirtualService, policies) must wait for: the CRDs and istiod. */
  readonly ready: ITerraformDependable[];
  readonly objects: KubernetesModel[] = [];

  constructor(scope: Construct, id: string, props: IstioMeshProps) {
    super(scope, id);
    const { istioNamespace, ingressNamespace } = props;
    const version = props.version;
    this.base = chartRelease(this, "base", { chart: ISTIO_BASE_CHART, name: "istio-base", namespace: istioNamespace, values: istioBaseValues(), version, dependsOn: props.dependsOn });
    this.istiod = chartRelease(this, "istiod", {
      chart: ISTIOD_CHART,
      name: "istiod",
      namespace: istioNamespace,
      values: istiodValues({ replicas: props.istiodReplicas ?? 2, otlpHost: props.otlpHost, otlpPort: props.otlpPort }),
      version,
      dependsOn: [this.base],
    });
    this.ready = [this.base, this.istiod];
    this.external = { release: "external-gateway", selector: "external-gateway", gateway: `${ingressNamespace}/external` };
    this.internal = { release: "internal-gateway", selector: "internal-gateway", gateway: `${ingressNamespace}/internal` };
    for (const [gw, exposure] of [[this.external, "external"], [this.internal, "internal"]] as const) {
      chartRelease(this, `${exposure}-gateway`, {
        chart: ISTIO_GATEWAY_CHART,
        name: gw.release,
        namespace: ingressNamespace,
        values: istioGatewayValues({ selector: gw.selector, replicas: props.gatewayReplicas, exposure }),
        version,
        dependsOn: [this.istiod],
      });
    }
    this.gatewayPrincipals = [principal(ingressNamespace, this.external.release), principal(ingressNamespace, this.internal.release)];

    const emit = (id: string, object: KubernetesModel, dependsOn?: ITerraformDependable[]) => {
      this.objects.push(object);
      emitManifest(this, id, object, { dependsOn: dependsOn ?? props.dependsOn });
    };
    // Istio's own resources: their CRDs come with `base`.
    const gateway = (name: string, selector: string, hosts: readonly string[]) =>
      new Gateway({
        metadata: { name, namespace: ingressNamespace },
        spec: { selector: { istio: selector }, servers: [{ port: { number: GATEWAY_HTTP_PORT, name: "http", protocol: "HTTP" }, hosts: [...hosts] }] },
      });
    emit("external-gateway-routes", gateway("external", this.external.selector, props.externalHosts), this.ready);
    emit("internal-gateway-routes", gateway("internal", this.internal.selector, props.internalHosts), this.ready);
    emit(
      "apps-mtls",
      new PeerAuthentication({ metadata: { name: "default", namespace: props.appsNamespace }, spec: { mtls: { mode: "STRICT" } } }),
      this.ready,
    );

    // The external ALB: EKS Auto Mode reads the load balancer settings from IngressClassParams
    // (annotations on an IngressClass are not supported there) and the per-Ingress ones from annotations.
    const className = "external-alb";
    emit(
      "alb-params",
      new IngressClassParams({
        metadata: { name: className },
        spec: { scheme: "internet-facing", ...(props.certificateArn ? { certificateARNs: [props.certificateArn] } : {}) },
      }),
    );
    emit(
      "alb-class",
      new IngressClass({
        metadata: { name: className },
        spec: { controller: AUTO_MODE_ALB_CONTROLLER, parameters: { apiGroup: "eks.amazonaws.com", kind: "IngressClassParams", name: className } },
      }),
    );
    const https = props.certificateArn !== undefined;
    emit(
      "alb-ingress",
      new Ingress({
        metadata: {
          name: "external",
          namespace: ingressNamespace,
          annotations: {
            "alb.ingress.kubernetes.io/load-balancer-name": props.loadBalancerName,
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/wafv2-acl-arn": props.webAclArn,
            "alb.ingress.kubernetes.io/healthcheck-port": String(GATEWAY_STATUS_PORT),
            "alb.ingress.kubernetes.io/healthcheck-path": "/healthz/ready",
            "alb.ingress.kubernetes.io/load-balancer-attributes": `routing.http.drop_invalid_header_fields.enabled=true,deletion_protection.enabled=${props.deletionProtection ?? true}`,
            ...(https
              ? {
                  "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80},{"HTTPS":443}]',
                  "alb.ingress.kubernetes.io/ssl-redirect": "443",
                  "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                }
              : { "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80}]' }),
          },
        },
        spec: {
          ingressClassName: className,
          defaultBackend: { service: { name: this.external.release, port: { number: GATEWAY_HTTP_PORT } } },
        },
      }),
    );
  }
}
