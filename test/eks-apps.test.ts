import { TerraformStack, Testing } from "cdktf";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1/AuthorizationPolicy";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import { describe, expect, it } from "vitest";
import { applicationObjects, authorityMatch, dashboardFiles, emitManifest, IngressClassParams, uriMatch, type MeshApplicationProps } from "../modules/eks-apps";
import { ALLOY_CHART } from "../modules/eks-apps/charts/alloy";
import { GRAFANA_CHART } from "../modules/eks-apps/charts/grafana";
import { ISTIO_VERSION } from "../modules/eks-apps/charts/istio";
import { LOKI_CHART } from "../modules/eks-apps/charts/loki";
import { MIMIR_CHART } from "../modules/eks-apps/charts/mimir";
import { TEMPO_CHART } from "../modules/eks-apps/charts/tempo";
import { APPS_NAMESPACE, INGRESS_NAMESPACE, OBSERVABILITY_NAMESPACE, POD_IDENTITY_WORKLOADS } from "../modules/eks-cluster/handoff";
import { POLICY_RULES, PolicyAspect } from "../src/aspects/policy";
import { eksAppsSchema } from "../src/config/eks-apps";
import { formatIssue } from "../src/config/load";
import { AppsStack } from "../src/stacks/apps";
import { applySkipReason } from "../src/tools/apply";
import { eksTestConfig, synthApps, testHandoff } from "./eks-apps-fixtures";
import { ref, type SynthJson } from "./helpers";

const manifests = (json: SynthJson) => Object.values(json.resource.kubernetes_manifest ?? {}).map((r) => r.manifest as Record<string, any>);
const manifestOf = (json: SynthJson, kind: string, name: string, namespace?: string) => {
  const found = manifests(json).filter((m) => m.kind === kind && m.metadata.name === name && (namespace === undefined || m.metadata.namespace === namespace));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
};
const releases = (json: SynthJson) => Object.entries(json.resource.helm_release ?? {}).map(([id, r]) => ({ id, ...r }) as Record<string, any>);
const releaseOf = (json: SynthJson, name: string) => {
  const r = releases(json).find((x) => x.name === name);
  if (!r) throw new Error(`no release ${name}`);
  return { ...r, parsedValues: JSON.parse(r.values[0]) as Record<string, any> } as Record<string, any>;
};

describe("apps stack of an EKS workspace", () => {
  const { stack, json } = synthApps();

  it("is the workspace's second stack, with its own state key", () => {
    expect(stack.node.id).toBe("staging-eks-apps");
    expect(json.terraform.backend.s3.key).toBe("acme/staging-eks-apps/terraform.tfstate");
    expect(json.terraform.backend.s3.use_lockfile).toBe(true);
  });

  it("configures the helm and kubernetes providers from the AWS stack's values, with an aws eks get-token exec", () => {
    const handoff = testHandoff();
    const exec = {
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", handoff.clusterName, "--region", "us-east-1", "--output", "json"],
    };
    const ca = `\${base64decode("${handoff.certificateAuthorityData}")}`;
    expect(json.provider!.kubernetes).toEqual([{ host: handoff.endpoint, cluster_ca_certificate: ca, exec: [exec] }]);
    expect(json.provider!.helm).toEqual([{ kubernetes: { host: handoff.endpoint, cluster_ca_certificate: ca, exec } }]);
    expect(json.provider!.aws[0].allowed_account_ids).toEqual(["111122223333"]);
    expect(Object.keys(json.terraform.required_providers).sort()).toEqual(["aws", "helm", "kubernetes", "random"]);
    // Pinned provider versions.
    expect(json.terraform.required_providers.helm.version).toBe("3.1.1");
    expect(json.terraform.required_providers.kubernetes.version).toBe("2.38.0");
  });

  it("emits exactly the validated typed objects, nothing else, as kubernetes_manifest", () => {
    expect(stack.objects.length).toBeGreaterThan(20);
    for (const object of stack.objects) expect(() => object.validate(), `${object.kind} ${object.metadata?.name}`).not.toThrow();
    const emitted = manifests(json);
    expect(emitted).toHaveLength(stack.objects.length);
    const resolvedObjects = stack.objects.map((o) => JSON.parse(JSON.stringify(o.toJSON())));
    for (const m of emitted) {
      const twin = resolvedObjects.find((o) => o.kind === m.kind && o.metadata.name === m.metadata.name && o.metadata.namespace === m.metadata.namespace);
      expect(twin, `${m.kind} ${m.metadata.name}`).toBeDefined();
    }
  });

  it("creates the namespaces with Istio injection where the sidecars belong", () => {
    const labels = (name: string) => manifestOf(json, "Namespace", name).metadata.labels;
    expect(labels(APPS_NAMESPACE)["istio-injection"]).toBe("enabled");
    expect(labels(INGRESS_NAMESPACE)["istio-injection"]).toBe("enabled");
    expect(labels(OBSERVABILITY_NAMESPACE)["istio-injection"]).toBe("disabled");
    expect(labels("istio-system")["istio-injection"]).toBe("disabled");
    expect(labels(OBSERVABILITY_NAMESPACE)["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });

  describe("one application per services[] entry", () => {
    it("Deployment: replicas from minCount, zone spread (required when highly available), resources, probes, its own service account", () => {
      const web = manifestOf(json, "Deployment", "web", APPS_NAMESPACE);
      expect(web.spec.replicas).toBe(2);
      const pod = web.spec.template.spec;
      expect(pod.serviceAccountName).toBe("web");
      expect(pod.automountServiceAccountToken).toBe(false);
      const zone = pod.topologySpreadConstraints.find((c: any) => c.topologyKey === "topology.kubernetes.io/zone");
      expect(zone).toEqual({ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } });
      const [container] = pod.containers;
      expect(container.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health", port: 8000 });
      expect(container.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      expect(container.image).toBe(`${testHandoff().serviceImages.web}:\${var.image_tag}`);
      // The AWS stack's values (database secret, queue) and the config's environment, sorted.
      expect(container.env.map((e: any) => e.name)).toEqual(["APP_ENV", "DATABASE_SECRET_ARN", "LOG_LEVEL", "QUEUE_URL_DEFAULT"]);

      const ledger = manifestOf(json, "Deployment", "ledger", APPS_NAMESPACE);
      const ledgerZone = ledger.spec.template.spec.topologySpreadConstraints.find((c: any) => c.topologyKey === "topology.kubernetes.io/zone");
      expect(ledgerZone.whenUnsatisfiable).toBe("ScheduleAnyway");
      expect(ledger.spec.template.spec.containers[0].readinessProbe.exec.command).toEqual(["/bin/sh", "-c", "curl -fs http://localhost:8000/health || exit 1"]);
      const api = manifestOf(json, "Deployment", "api", APPS_NAMESPACE);
      expect(api.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: "500m", memory: "1024Mi" });
      expect(api.spec.template.spec.containers[0].livenessProbe.httpGet).toEqual({ path: "/ready", port: 9000 });
    });

    it("the HPA owns the replica count after the first apply", () => {
      const deployment = Object.values(json.resource.kubernetes_manifest).find((r: any) => r.manifest.kind === "Deployment" && r.manifest.metadata.name === "web")!;
      expect(deployment.computed_fields).toContain("spec.replicas");
    });

    it("HPA on CPU and memory between minCount and maxCount", () => {
      const metrics = (name: string) =>
        Object.fromEntries(manifestOf(json, "HorizontalPodAutoscaler", name).spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]));
      const web = manifestOf(json, "HorizontalPodAutoscaler", "web", APPS_NAMESPACE);
      expect(web.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "web" });
      expect([web.spec.minReplicas, web.spec.maxReplicas]).toEqual([2, 6]);
      expect(metrics("web")).toEqual({ cpu: 80, memory: 80 });
      expect(metrics("api")).toEqual({ cpu: 80, memory: 70 });
    });

    it("PodDisruptionBudget and Service per service", () => {
      for (const name of ["web", "api", "ledger"]) {
        expect(manifestOf(json, "PodDisruptionBudget", name, APPS_NAMESPACE).spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: name } } });
        expect(manifestOf(json, "ServiceAccount", name, APPS_NAMESPACE)).toBeDefined();
      }
      expect(manifestOf(json, "Service", "api", APPS_NAMESPACE).spec.ports).toEqual([{ name: "http", port: 9000, targetPort: 9000, protocol: "TCP", appProtocol: "http" }]);
    });

    it("AuthorizationPolicy admits only declared callers, plus the gateways for public services", () => {
      const principals = (name: string) => manifestOf(json, "AuthorizationPolicy", name, APPS_NAMESPACE).spec.rules?.[0]?.from[0].source.principals;
      const gateways = [`cluster.local/ns/${INGRESS_NAMESPACE}/sa/external-gateway`, `cluster.local/ns/${INGRESS_NAMESPACE}/sa/internal-gateway`];
      // web calls api, api calls ledger; web and api are public.
      expect(principals("api")).toEqual([...gateways, "cluster.local/ns/apps/sa/web"].sort());
      expect(principals("ledger")).toEqual(["cluster.local/ns/apps/sa/api"]);
      expect(principals("web")).toEqual(gateways);
      expect(manifestOf(json, "AuthorizationPolicy", "ledger").spec.action).toBe("ALLOW");
    });

    it("a service nobody calls and no gateway reaches gets an ALLOW policy without rules (closed)", () => {
      const closed = synthApps(eksTestConfig({ mutate: (c) => (c.services[1].calls = []) })).json;
      expect(manifestOf(closed, "AuthorizationPolicy", "ledger").spec).toEqual({ selector: { matchLabels: { app: "ledger" } }, action: "ALLOW" });
    });

    it("STRICT mTLS for the apps namespace", () => {
      expect(manifestOf(json, "PeerAuthentication", "default", APPS_NAMESPACE).spec).toEqual({ mtls: { mode: "STRICT" } });
    });
  });

  it("routes public services through one VirtualService on both gateways, in priority order", () => {
    const vs = manifestOf(json, "VirtualService", "public", APPS_NAMESPACE);
    expect(vs.spec.gateways).toEqual([`${INGRESS_NAMESPACE}/external`, `${INGRESS_NAMESPACE}/internal`]);
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(["api", "web"]);
    const [api, web] = vs.spec.http;
    expect(api.match).toEqual([
      { uri: { prefix: "/api/" }, authority: { regex: "api\\.example\\.com(:[0-9]+)?" } },
      { uri: { regex: "/v./status" }, authority: { regex: "api\\.example\\.com(:[0-9]+)?" } },
    ]);
    expect(api.route).toEqual([{ destination: { host: "api.apps.svc.cluster.local", port: { number: 9000 } } }]);
    expect(web.match).toEqual([{ uri: { prefix: "/" } }]);
    const gateway = manifestOf(json, "Gateway", "external", INGRESS_NAMESPACE);
    expect(gateway.spec.selector).toEqual({ istio: "external-gateway" });
    expect(gateway.spec.servers[0].hosts).toEqual(["*.example.com", "example.com"]);
  });

  it("maps ALB path patterns and host headers to Istio matches", () => {
    expect(uriMatch("/health")).toEqual({ exact: "/health" });
    expect(uriMatch("/*")).toEqual({ prefix: "/" });
    expect(uriMatch("/a/*/b")).toEqual({ regex: "/a/.*/b" });
    expect(authorityMatch("*.example.com")).toEqual({ regex: "[^.]+\\.example\\.com(:[0-9]+)?" });
    for (const host of ["a.example.com", "a.example.com:443"]) expect(new RegExp(`^${authorityMatch("*.example.com").regex}$`).test(host)).toBe(true);
    expect(new RegExp(`^${authorityMatch("*.example.com").regex}$`).test("a.b.example.com")).toBe(false);
  });

  describe("external gateway behind an internet-facing ALB made by EKS Auto Mode, with the WAF", () => {
    it("IngressClass of the Auto Mode controller, IngressClassParams, Ingress with the WAF ACL annotation", () => {
      expect(manifestOf(json, "IngressClass", "external-alb").spec).toEqual({
        controller: "eks.amazonaws.com/alb",
        parameters: { apiGroup: "eks.amazonaws.com", kind: "IngressClassParams", name: "external-alb" },
      });
      expect(manifestOf(json, "IngressClassParams", "external-alb")).toEqual({
        apiVersion: "eks.amazonaws.com/v1",
        kind: "IngressClassParams",
        metadata: { name: "external-alb" },
        spec: { scheme: "internet-facing" },
      });
      const ingress = manifestOf(json, "Ingress", "external", INGRESS_NAMESPACE);
      expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"]).toBe(testHandoff().externalGatewayWebAclArn);
      expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/healthcheck-port"]).toBe("15021");
      expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/listen-ports"]).toBe('[{"HTTP":80}]');
      expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/load-balancer-name"]).toBe("acme-staging-eks-ext");
      expect(ingress.spec).toEqual({ ingressClassName: "external-alb", defaultBackend: { service: { name: "external-gateway", port: { number: 80 } } } });
    });

    it("with a certificate: HTTPS listener with the certificate, HTTP redirected", () => {
      const cert = "arn:aws:acm:us-east-1:111122223333:certificate/abc";
      const withTls = synthApps(eksTestConfig(), testHandoff({ certificateArn: cert })).json;
      expect(manifestOf(withTls, "IngressClassParams", "external-alb").spec.certificateARNs).toEqual([cert]);
      const annotations = manifestOf(withTls, "Ingress", "external").metadata.annotations;
      expect(annotations["alb.ingress.kubernetes.io/listen-ports"]).toBe('[{"HTTP":80},{"HTTPS":443}]');
      expect(annotations["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
    });

    it("the external gateway is a ClusterIP service (the ALB targets its pods); the internal one an internal NLB of Auto Mode", () => {
      const external = releaseOf(json, "external-gateway").parsedValues;
      expect(external.service.type).toBe("ClusterIP");
      expect(external.labels).toEqual({ istio: "external-gateway" });
      const internal = releaseOf(json, "internal-gateway").parsedValues;
      expect(internal.service.type).toBe("LoadBalancer");
      expect(internal.service.loadBalancerClass).toBe("eks.amazonaws.com/nlb");
      expect(internal.service.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internal");
      expect(internal.autoscaling.minReplicas).toBe(2);
    });

    it("ALB deletion protection follows the stage", () => {
      const annotation = (j: SynthJson) => manifestOf(j, "Ingress", "external").metadata.annotations["alb.ingress.kubernetes.io/load-balancer-attributes"];
      expect(annotation(json)).toContain("deletion_protection.enabled=false");
      const prod = synthApps(eksTestConfig({ mutate: (c) => (c.stage = "production") })).json;
      expect(annotation(prod)).toContain("deletion_protection.enabled=true");
    });
  });

  describe("Helm releases", () => {
    it("pin an exact chart version each, from the chart's repository, in the platform's namespaces, waiting and atomic", () => {
      const expected: Record<string, [string, string, string]> = {
        "istio-base": ["base", ISTIO_VERSION, "istio-system"],
        istiod: ["istiod", ISTIO_VERSION, "istio-system"],
        "external-gateway": ["gateway", ISTIO_VERSION, INGRESS_NAMESPACE],
        "internal-gateway": ["gateway", ISTIO_VERSION, INGRESS_NAMESPACE],
        loki: ["loki", LOKI_CHART.version, OBSERVABILITY_NAMESPACE],
        mimir: ["mimir-distributed", MIMIR_CHART.version, OBSERVABILITY_NAMESPACE],
        tempo: ["tempo-distributed", TEMPO_CHART.version, OBSERVABILITY_NAMESPACE],
        grafana: ["grafana", GRAFANA_CHART.version, OBSERVABILITY_NAMESPACE],
        alloy: ["alloy", ALLOY_CHART.version, OBSERVABILITY_NAMESPACE],
      };
      const all = releases(json);
      expect(all.map((r) => r.name).sort()).toEqual(Object.keys(expected).sort());
      for (const r of all) {
        const [chart, version, namespace] = expected[r.name];
        expect([r.chart, r.version, r.namespace], r.name).toEqual([chart, version, namespace]);
        expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(r.repository).toMatch(/^https:\/\//);
        expect([r.atomic, r.wait, r.create_namespace], r.name).toEqual([true, true, false]);
      }
    });

    it("install in order: base, istiod, gateways; the namespaces first", () => {
      const deps = (name: string) => releaseOf(json, name).depends_on as string[];
      const id = (name: string) => `helm_release.${releaseOf(json, name).id}`;
      expect(deps("istiod")).toEqual([id("istio-base")]);
      expect(deps("external-gateway")).toEqual([id("istiod")]);
      expect(deps("istio-base")).toContain("kubernetes_manifest.namespace-istio-system");
      expect(deps("grafana")).toEqual(expect.arrayContaining([id("loki"), id("mimir"), id("tempo")]));
      // Istio's own resources wait for its CRDs.
      const vs = Object.values(json.resource.kubernetes_manifest).find((r: any) => r.manifest.kind === "VirtualService")!;
      expect(vs.depends_on).toEqual(expect.arrayContaining([id("istio-base"), id("istiod")]));
    });

    it("Loki, Mimir and Tempo store in their own bucket with the service accounts of the Pod Identity associations", () => {
      const buckets = testHandoff().observabilityBuckets;
      const loki = releaseOf(json, "loki").parsedValues;
      expect(loki.serviceAccount).toEqual({ create: true, name: POD_IDENTITY_WORKLOADS.loki.serviceAccount });
      expect(loki.loki.storage.bucketNames.chunks).toBe(buckets.loki);
      expect(loki.loki.storage.type).toBe("s3");
      expect(loki.minio.enabled).toBe(false);
      expect([loki.chunksCache.allocatedMemory, loki.resultsCache.allocatedMemory]).toEqual([1024, 512]);
      expect(loki.loki.limits_config.retention_period).toBe("720h");
      const mimir = releaseOf(json, "mimir").parsedValues;
      expect(mimir.serviceAccount.name).toBe(POD_IDENTITY_WORKLOADS.mimir.serviceAccount);
      expect(mimir.mimir.structuredConfig.blocks_storage).toEqual({ s3: { bucket_name: buckets.mimir }, storage_prefix: "blocks" });
      expect(mimir.mimir.structuredConfig.common.storage.backend).toBe("s3");
      const tempo = releaseOf(json, "tempo").parsedValues;
      expect(tempo.serviceAccount.name).toBe(POD_IDENTITY_WORKLOADS.tempo.serviceAccount);
      expect(tempo.storage.trace.s3.bucket).toBe(buckets.tempo);
      // The releases run in the namespace the associations name.
      for (const store of ["loki", "mimir", "tempo"] as const) expect(releaseOf(json, store).namespace).toBe(POD_IDENTITY_WORKLOADS[store].namespace);
    });

    it("Grafana: the three data sources, the dashboard sidecar, and a generated admin password stored in the AWS stack's secret and passed as a sensitive value", () => {
      const grafana = releaseOf(json, "grafana");
      const sources = grafana.parsedValues.datasources["datasources.yaml"].datasources;
      expect(sources.map((s: any) => [s.type, s.url])).toEqual([
        ["prometheus", "http://mimir-gateway.observability.svc.cluster.local/prometheus"],
        ["loki", "http://loki-gateway.observability.svc.cluster.local"],
        ["tempo", "http://tempo-query-frontend.observability.svc.cluster.local:3200"],
      ]);
      expect(grafana.parsedValues.sidecar.dashboards).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: "1" });
      expect(JSON.stringify(grafana.parsedValues)).not.toMatch(/adminPassword/);
      const passwordId = Object.keys(json.resource.random_password)[0];
      const password = ref("random_password", passwordId, "result");
      expect(grafana.set_sensitive).toEqual([{ name: "adminPassword", value: password }]);
      const [version] = Object.values(json.resource.aws_secretsmanager_secret_version);
      expect(version).toEqual({ secret_id: testHandoff().grafanaAdminSecretArn, secret_string: password });
      expect(json.resource.random_password[passwordId]).toMatchObject({ length: 32, special: false });
    });

    it("Alloy ships logs to Loki, metrics (Istio's included) to Mimir and traces to Tempo; istiod sends the sidecars' spans to Alloy", () => {
      const pipeline: string = releaseOf(json, "alloy").parsedValues.alloy.configMap.content;
      expect(pipeline).toContain('url = "http://loki-gateway.observability.svc.cluster.local/loki/api/v1/push"');
      expect(pipeline).toContain('url = "http://mimir-gateway.observability.svc.cluster.local/api/v1/push"');
      expect(pipeline).toContain('endpoint = "tempo-distributor.observability.svc.cluster.local:4317"');
      expect(pipeline).toContain("__meta_kubernetes_pod_annotation_prometheus_io_scrape");
      expect(pipeline).toContain('external_labels = { cluster = "staging-eks" }');
      const mesh = releaseOf(json, "istiod").parsedValues.meshConfig;
      expect(mesh.extensionProviders).toEqual([{ name: "otel-tracing", opentelemetry: { service: "alloy.observability.svc.cluster.local", port: 4317 } }]);
      expect(mesh.defaultProviders.tracing).toEqual(["otel-tracing"]);
    });

    it("a config chart version replaces the pinned one (Istio's for all three charts)", () => {
      const overridden = synthApps(eksTestConfig({ apps: { chartVersions: { istio: "1.26.4", loki: "6.35.0" } } })).json;
      expect(releaseOf(overridden, "istiod").version).toBe("1.26.4");
      expect(releaseOf(overridden, "external-gateway").version).toBe("1.26.4");
      expect(releaseOf(overridden, "loki").version).toBe("6.35.0");
      expect(releaseOf(overridden, "mimir").version).toBe(MIMIR_CHART.version);
    });
  });

  describe("dashboards", () => {
    it("ships the application dashboard as a ConfigMap the Grafana sidecar loads", () => {
      const files = dashboardFiles();
      expect(Object.keys(files)).toEqual(["applications.json"]);
      const map = manifestOf(json, "ConfigMap", "dashboard-applications", OBSERVABILITY_NAMESPACE);
      expect(map.metadata.labels).toEqual({ grafana_dashboard: "1" });
      expect(map.data["applications.json"]).toBe(files["applications.json"]);
    });

    it("charts requests, errors and latency of the apps namespace from Istio's metrics", () => {
      const dashboard = JSON.parse(dashboardFiles()["applications.json"]);
      const exprs = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
      expect(dashboard.panels.map((p: any) => p.title)).toEqual(["Requests per second", "Errors (5xx share of requests)", "Latency p50 / p95 / p99"]);
      expect(exprs).toContain("istio_requests_total");
      expect(exprs).toContain('response_code=~"5.."');
      expect(exprs).toContain("istio_request_duration_milliseconds_bucket");
      expect(exprs).toContain(`destination_workload_namespace="${APPS_NAMESPACE}"`);
      expect(dashboard.panels.every((p: any) => p.datasource.uid === "mimir")).toBe(true);
    });

    it("hold nothing Terraform would read as an interpolation", () => {
      for (const [file, text] of Object.entries(dashboardFiles())) expect(text, file).not.toMatch(/[$%]\{/);
    });
  });

  it.each([false, true])("passes the policy pack (production rules: %s)", (production) => {
    const app = Testing.app();
    const apps = new AppsStack(app, eksTestConfig({ mutate: (c) => production && (c.stage = "production") }), testHandoff());
    const policy = new PolicyAspect(POLICY_RULES, production);
    const results = policy.evaluate(apps);
    expect(results.filter((r) => r.outcome === "fail")).toEqual([]);
  });

  it("synthesizes the same JSON twice", () => {
    const again = synthApps().json;
    expect(JSON.stringify(again)).toBe(JSON.stringify(json));
  });

  it("the apply tier leaves it out, naming the providers", () => {
    expect(applySkipReason(json as never)).toBe("providers helm, kubernetes, random: the emulator serves the AWS API only (no Kubernetes API server)");
    expect(applySkipReason({ terraform: { required_providers: { aws: {} } } } as never)).toBeUndefined();
  });
});

describe("typed Kubernetes objects are checked against their schemas", () => {
  const base: MeshApplicationProps = {
    name: "svc",
    namespace: APPS_NAMESPACE,
    image: "repo:tag",
    containerPort: 8080,
    cpu: 256,
    memory: 512,
    minReplicas: 2,
    maxReplicas: 4,
    cpuTargetPercent: 70,
    memoryTargetPercent: 80,
    allowedPrincipals: [],
  };

  it("a value outside the schema's enum, a missing required field or a wrong type fails validation", () => {
    const hpa = applicationObjects(base).find((o) => o.kind === "HorizontalPodAutoscaler") as HorizontalPodAutoscaler;
    expect(() => hpa.validate()).not.toThrow();
    (hpa.spec as { maxReplicas: unknown }).maxReplicas = "4";
    expect(() => hpa.validate()).toThrow(/maxReplicas must be integer/);
    const deployment = applicationObjects(base).find((o) => o.kind === "Deployment") as Deployment;
    expect(() => deployment.validate()).not.toThrow();
    deployment.spec!.template.spec!.topologySpreadConstraints![0].whenUnsatisfiable = "Never" as never;
    expect(() => deployment.validate()).toThrow(/whenUnsatisfiable must be equal to one of the allowed values/);
    deployment.spec!.template.spec!.topologySpreadConstraints![0].whenUnsatisfiable = "DoNotSchedule";
    deployment.spec!.template.spec!.containers[0].resources!.requests!.cpu = "lots";
    expect(() => deployment.validate()).toThrow(/requests\/cpu/);
    const pdb = applicationObjects(base).find((o) => o.kind === "PodDisruptionBudget") as PodDisruptionBudget;
    (pdb.spec as { selector: unknown }).selector = "app=svc";
    expect(() => pdb.validate()).toThrow();
    const policy = applicationObjects(base).find((o) => o.kind === "AuthorizationPolicy") as AuthorizationPolicy;
    policy.spec!.action = "PERMIT" as never;
    expect(() => policy.validate()).toThrow();
  });

  it("a misspelt field does not compile (the models' types; tsc runs with the tests)", () => {
    const vs = new VirtualService({
      metadata: { name: "x" },
      // @ts-expect-error `gateway` is not a field of a VirtualService spec (it is `gateways`)
      spec: { hosts: ["*"], gateway: ["istio-ingress/external"] },
    });
    expect(vs.kind).toBe("VirtualService");
  });

  it("IngressClassParams (no published model) refuses unknown and misspelt fields", () => {
    const params = (spec: Record<string, unknown>) => new IngressClassParams({ metadata: { name: "alb" }, spec: spec as never });
    expect(() => params({ scheme: "internet-facing" }).validate()).not.toThrow();
    expect(() => params({ scheme: "internet-facing", certificateArn: "arn" }).validate()).toThrow(/certificateArn/);
    expect(() => params({ scheme: "public" }).validate()).toThrow(/scheme/);
  });

  it("an invalid object stops synthesis naming its kind and name", () => {
    const deployment = applicationObjects(base).find((o) => o.kind === "Deployment") as Deployment;
    delete (deployment.spec as { selector?: unknown }).selector;
    const stack = new TerraformStack(Testing.app(), "test");
    expect(() => emitManifest(stack, "svc", deployment)).toThrow("Deployment apps/svc is not valid: data/spec must have required property selector");
  });
});

describe("refusals", () => {
  it("a highly available service with fewer than two replicas", () => {
    expect(() => applicationObjects({ ...({} as MeshApplicationProps), name: "web", namespace: "apps", minReplicas: 1, maxReplicas: 3, highlyAvailable: true } as MeshApplicationProps)).toThrow(
      "MeshApplication web: is highly available but minReplicas is 1 (at least 2)",
    );
  });

  it("a highly available service configured with one replica stops synthesis with one line", () => {
    expect(() => synthApps(eksTestConfig({ mutate: (c) => Object.assign(c.services[2], { highlyAvailable: true, minCount: 1, maxCount: 1 }) }))).toThrow(
      "MeshApplication ledger: is highly available but minReplicas is 1 (at least 2)",
    );
  });

  it("a service with minCount 0 keeps one pod (an HPA cannot scale to zero)", () => {
    const { json } = synthApps(eksTestConfig({ mutate: (c) => (c.services[2].minCount = 0) }));
    expect(manifestOf(json, "HorizontalPodAutoscaler", "ledger").spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
  });

  it("a service the handoff has no image for", () => {
    const handoff = testHandoff();
    expect(() => new AppsStack(Testing.app(), eksTestConfig(), { ...handoff, serviceImages: { web: "x", api: "y" } })).toThrow(
      'AppsStack staging-eks-apps: the handoff has no image for service "ledger"',
    );
  });

  it("a host header the external gateway does not answer for", () => {
    expect(() => synthApps(eksTestConfig({ apps: { externalHosts: ["www.example.com"] } }))).toThrow(
      "AppsStack staging-eks-apps: services[api].public.hostHeaders: api.example.com is not among eks.apps.externalHosts (www.example.com)",
    );
  });

  it.each([
    ["a caret range", "^1.26.0"],
    ["a wildcard", "1.26.x"],
    ["a leading v", "v1.26.3"],
    ["a partial version", "1.26"],
  ])("a chart version that is not pinned (%s): one line naming file and field", (_what, version) => {
    const result = eksAppsSchema.safeParse({ chartVersions: { istio: version } });
    expect(result.success).toBe(false);
    const lines = result.error!.issues.map((i) => formatIssue("environments/staging-eks.ts", { ...i, path: ["eks", "apps", ...i.path] }));
    expect(lines).toEqual(["environments/staging-eks.ts: eks.apps.chartVersions.istio: must be an exact chart version such as 1.26.3 (no ranges, no wildcards, no leading v)"]);
  });

  it("a chart the config does not know, and accepts exact versions with a pre-release", () => {
    const unknown = eksAppsSchema.safeParse({ chartVersions: { prometheus: "1.0.0" } });
    expect(unknown.error!.issues.map((i) => formatIssue("f", i))).toEqual(['f: chartVersions: unknown field(s) "prometheus"']);
    expect(eksAppsSchema.parse({ chartVersions: { tempo: "1.46.0-rc.1" } }).chartVersions.tempo).toBe("1.46.0-rc.1");
    expect(eksAppsSchema.parse({})).toEqual({ chartVersions: {}, externalHosts: ["*"], internalHosts: ["*"], gatewayReplicas: 2, observabilityReplicas: 2, retentionDays: 30 });
  });
});
