import type { EnvironmentInput } from "../src/config/schema";

/**
 * Staging on Kubernetes: the same application on an EKS Auto Mode cluster (two stacks:
 * `staging-eks`, the AWS side, then `staging-eks-apps`, its Helm releases and manifests). Three
 * AZs, one NAT gateway, development guardrails.
 */
export const stagingEks: EnvironmentInput = {
  project: "acme",
  name: "staging-eks",
  stage: "development",
  // An account of its own (placeholder id; use yours), with its own bootstrap stack and state bucket.
  accountId: "555566667777",
  region: "us-east-1",
  availabilityZones: ["use1-az1", "use1-az2", "use1-az4"],
  compute: "eks",
  tags: {
    Owner: "platform-team",
    CostCenter: "cc-1001",
  },
  state: {
    bucket: "acme-terraform-state-555566667777",
    lockTable: "acme-terraform-locks",
  },
  network: {
    cidr: "10.30.0.0/16",
    natStrategy: "single",
    flowLogRetentionDays: 30,
  },
  ecr: {
    repositories: [
      { name: "web", keepLastTagged: 20, untaggedExpiryDays: 3 },
      { name: "api", keepLastTagged: 20, untaggedExpiryDays: 3 },
    ],
  },
  logRetentionDays: 30,
  eks: {
    version: "1.32",
    // The public endpoint answers only the office network (placeholder range; use yours); nodes and
    // the VPC use the private endpoint.
    endpoint: { publicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] },
    admins: ["arn:aws:iam::555566667777:role/acme-platform-admins"],
    controlPlaneLogRetentionDays: 30,
    observabilityRetentionDays: { logs: 14, metrics: 30, traces: 7 },
  },
  services: [
    {
      name: "web",
      repository: "web",
      containerPort: 8000,
      cpu: 256,
      memory: 512,
      environment: { APP_ENV: "staging" },
      minCount: 2,
      maxCount: 4,
      highlyAvailable: true,
      memoryTargetPercent: 80,
      public: { priority: 100, pathPatterns: ["/*"] },
      calls: ["api"],
      sendsTo: ["default"],
    },
    {
      name: "api",
      repository: "api",
      containerPort: 9000,
      cpu: 512,
      memory: 1024,
      environment: { APP_ENV: "staging" },
      minCount: 2,
      maxCount: 6,
      highlyAvailable: true,
    },
  ],
  database: {
    instanceCount: 1,
    instanceClass: "db.serverless",
    minCapacity: 0.5,
    maxCapacity: 2,
    backupRetentionDays: 3,
    deletionProtection: false,
    skipFinalSnapshot: true,
    performanceInsights: false,
    migrateCommand: ["python", "manage.py", "migrate", "--noinput"],
  },
  // The workers' queues (the worker Deployments are in the apps stack).
  workers: [
    {
      name: "default",
      command: ["celery", "-A", "app", "worker", "--loglevel", "INFO"],
      taskTimeLimitSeconds: 600,
      visibilityTimeoutSeconds: 900,
      minCount: 1,
      maxCount: 3,
    },
  ],
  operations: {
    alertEmails: [],
    cloudTrail: true,
    cloudTrailRetentionDays: 90,
    // The regional web ACL the external gateway's load balancer is associated with.
    waf: true,
    backup: false,
  },
  github: {
    owner: "acme-corp",
    repository: "platform",
    mainBranch: "main",
  },
  organization: {
    id: "o-a1b2c3d4e5",
    managementAccountId: "777788889999",
    targetIds: ["r-a1b2"],
  },
};
