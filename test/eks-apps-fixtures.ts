import { Testing } from "cdktf";
import type { ClusterHandoff } from "../modules/eks-cluster/handoff";
import type { EksAppsInput } from "../src/config/eks-apps";
import { eksAppsSchema } from "../src/config/eks-apps";
import type { EnvironmentConfig } from "../src/config/schema";
import { AppsStack } from "../src/stacks/apps";
import { environments, synthStack } from "./helpers";

/**
 * An EKS workspace's config for the apps stack: dev's validated config (its services) under another
 * name, with three services that call each other and an `eks.apps` slice.
 */
export function eksTestConfig(options: { apps?: EksAppsInput; mutate?: (config: EnvironmentConfig) => void } = {}): EnvironmentConfig {
  const dev = environments().find((e) => e.name === "dev")!;
  const [web] = dev.services;
  const config: EnvironmentConfig = {
    ...dev,
    name: "staging-eks",
    stage: "development",
    services: [
      { ...web, calls: ["api"], minCount: 2, maxCount: 6, highlyAvailable: true } as EnvironmentConfig["services"][number],
      {
        ...web,
        name: "api",
        containerPort: 9000,
        cpu: 512,
        memory: 1024,
        minCount: 1,
        maxCount: 4,
        public: { priority: 50, pathPatterns: ["/api/*", "/v?/status"], hostHeaders: ["api.example.com"] },
        calls: ["ledger"],
        healthCheck: { ...web.healthCheck!, path: "/ready" },
        memoryTargetPercent: 70,
        environment: { APP_ENV: "staging" },
      },
      {
        ...web,
        name: "ledger",
        public: undefined,
        healthCheck: undefined,
        calls: [],
        minCount: 1,
        maxCount: 2,
        containerHealthCheck: { command: ["CMD-SHELL", "curl -fs http://localhost:8000/health || exit 1"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 60 },
      },
    ],
  };
  (config as { eks?: unknown }).eks = { apps: eksAppsSchema.parse(options.apps ?? { externalHosts: ["*.example.com", "example.com"] }) };
  options.mutate?.(config);
  return config;
}

/** The AWS stack's values as literals (in a real app they are tokens of the AWS stack). */
export function testHandoff(overrides: Partial<ClusterHandoff> = {}): ClusterHandoff {
  const ecr = "111122223333.dkr.ecr.us-east-1.amazonaws.com/acme-staging-eks";
  return {
    clusterName: "acme-staging-eks",
    endpoint: "https://ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com",
    certificateAuthorityData: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
    observabilityBuckets: { loki: "acme-staging-eks-loki", mimir: "acme-staging-eks-mimir", tempo: "acme-staging-eks-tempo" },
    grafanaAdminSecretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:acme-staging-eks-grafana-admin-AbCdEf",
    externalGatewayWebAclArn: "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/acme-staging-eks-edge/0123abcd",
    serviceEnvironment: {
      web: { DATABASE_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf", QUEUE_URL_DEFAULT: "https://sqs.us-east-1.amazonaws.com/111122223333/q" },
      api: { DATABASE_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf" },
      ledger: {},
      "worker-default": { CELERY_BROKER_URL: "sqs://", CELERY_DEFAULT_QUEUE: "acme-staging-eks-default" },
    },
    serviceImages: { web: `${ecr}-web`, api: `${ecr}-web`, ledger: `${ecr}-web`, "worker-default": `${ecr}-web` },
    ...overrides,
  };
}

/** Synthesizes an apps stack of {@link eksTestConfig} and {@link testHandoff}. */
export function synthApps(config = eksTestConfig(), handoff = testHandoff()) {
  const stack = new AppsStack(Testing.app(), config, handoff);
  return { stack, json: synthStack(stack).json };
}
