/**
 * The public routes: one VirtualService on the gateways, its HTTP routes in the order of the
 * services' listener-rule priorities (lowest first, as the ALB of the ECS variant evaluates them),
 * each matching the service's path patterns and host headers.
 */
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";

export interface PublicRoute {
  readonly service: string;
  /** The port of the service's Service (its container port). */
  readonly port: number;
  /** Listener-rule priority: lower is matched first. */
  readonly priority: number;
  /** ALB-style path patterns (`*` and `?` wildcards). @default any path */
  readonly pathPatterns?: readonly string[];
  /** Host names (optionally `*.` wildcards). @default any host of the gateways */
  readonly hostHeaders?: readonly string[];
}

type IHTTPMatchRequest = NonNullable<NonNullable<NonNullable<NonNullable<IVirtualService["spec"]>["http"]>[number]["match"]>[number]>;
type StringMatch = NonNullable<IHTTPMatchRequest["uri"]>;

const escapeRegex = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** An ALB path pattern as an Istio URI match: exact without wildcards, a prefix for a trailing `*`, else a regex. */
export function uriMatch(pattern: string): StringMatch {
  const wildcards = (pattern.match(/[*?]/g) ?? []).length;
  if (wildcards === 0) return { exact: pattern };
  if (wildcards === 1 && pattern.endsWith("*")) return { prefix: pattern.slice(0, -1) };
  return { regex: pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegex(c))).join("") };
}

/** A host header as an Istio authority match (`*.example.com` as a regex of one more label). */
export function authorityMatch(host: string): StringMatch {
  return host.startsWith("*.") ? { regex: `[^.]+${escapeRegex(host.slice(1))}(:[0-9]+)?` } : { regex: `${escapeRegex(host)}(:[0-9]+)?` };
}

export interface PublicRoutesProps {
  readonly namespace: string;
  /** `<namespace>/<name>` of the Istio Gateways the routes bind to. */
  readonly gateways: readonly string[];
  /** Hosts of the VirtualService (the gateways' hosts). */
  readonly hosts: readonly string[];
  readonly routes: readonly PublicRoute[];
}

export function publicRoutes(props: PublicRoutesProps): VirtualService {
  const routes = [...props.routes].sort((a, b) => a.priority - b.priority);
  return new VirtualService({
    metadata: { name: "public", namespace: props.namespace },
    spec: {
      hosts: [...props.hosts],
      gateways: [...props.gateways],
      http: routes.map((r) => {
        const uris = r.pathPatterns?.map(uriMatch) ?? [undefined];
        const authorities = r.hostHeaders?.map(authorityMatch) ?? [undefined];
        const match: IHTTPMatchRequest[] = uris.flatMap((uri) => authorities.map((authority) => ({ ...(uri ? { uri } : {}), ...(authority ? { authority } : {}) })));
        return {
          name: r.service,
          ...(match.some((m) => Object.keys(m).length > 0) ? { match } : {}),
          route: [{ destination: { host: `${r.service}.${props.namespace}.svc.cluster.local`, port: { number: r.port } } }],
        };
      }),
    },
  });
}
