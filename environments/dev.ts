import type { EnvironmentInput } from "../src/config/schema";

/** Development workspace: two AZs, one NAT gateway, short retention. */
export const dev: EnvironmentInput = {
  project: "acme",
  name: "dev",
  stage: "development",
  // Each workspace has an AWS account of its own (placeholder id; use yours).
  accountId: "111122223333",
  region: "us-east-1",
  // Zone IDs name the same zones in every account; EMR Serverless (the data pipeline) does not run in use1-az3.
  availabilityZones: ["use1-az1", "use1-az2"],
  tags: {
    Owner: "platform-team",
    CostCenter: "cc-1001",
  },
  state: {
    bucket: "acme-terraform-state-111122223333",
    lockTable: "acme-terraform-locks",
  },
  network: {
    cidr: "10.10.0.0/16",
    natStrategy: "single",
    flowLogRetentionDays: 30,
  },
  ecr: {
    repositories: [{ name: "web", keepLastTagged: 20, untaggedExpiryDays: 3 }],
  },
  logRetentionDays: 30,
  // No certificate: HTTP only in dev. Access logs off, and the load balancer may be deleted.
  loadBalancer: {
    deletionProtection: false,
    accessLogs: false,
  },
  services: [
    {
      name: "web",
      repository: "web",
      containerPort: 8000,
      cpu: 256,
      memory: 512,
      environment: { APP_ENV: "dev", LOG_LEVEL: "debug" },
      minCount: 1,
      maxCount: 2,
      // Every path on the load balancer.
      public: { priority: 100, pathPatterns: ["/*"] },
      sendsTo: ["default"],
      healthCheck: { path: "/health" },
      // Sessions read-write and carts read-only (task role, table and indexes); the two external
      // services' URLs and keys; the data API (DATA_API_URL, SigV4 with the task role).
      tables: [
        { table: "sessions", access: "read-write" },
        { table: "carts", access: "read" },
      ],
      externalServices: ["payments", "notifications"],
      dataApi: true,
      // Spot only: interruptions are acceptable in dev.
      capacity: { onDemandBase: 0, onDemandWeight: 0, spotWeight: 1 },
      enableExecuteCommand: true,
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
  workers: [
    {
      name: "default",
      command: ["celery", "-A", "app", "worker", "--loglevel", "INFO"],
      taskTimeLimitSeconds: 600,
      visibilityTimeoutSeconds: 900,
      // Scale to zero when the queue is empty.
      minCount: 0,
      maxCount: 2,
    },
  ],
  scheduledTasks: [
    {
      name: "nightly-report",
      command: ["python", "manage.py", "nightly_report"],
      schedule: "cron(0 2 * * ? *)",
      timeZone: "Europe/Berlin",
      // Defined but paused in dev; enable to exercise it.
      enabled: false,
    },
  ],
  // Seed 002: the non-relational store beside PostgreSQL (README "DynamoDB tables").
  tables: [
    {
      name: "sessions",
      attributes: { sessionId: "S" },
      partitionKey: "sessionId",
      ttlAttribute: "expiresAt",
    },
    {
      name: "carts",
      attributes: { customerId: "S", cartId: "S", status: "S", updatedAt: "N" },
      partitionKey: "customerId",
      sortKey: "cartId",
      globalSecondaryIndexes: [{ name: "by-status", partitionKey: "status", sortKey: "updatedAt" }],
      ttlAttribute: "expiresAt",
      stream: "NEW_AND_OLD_IMAGES",
    },
  ],
  // Seed 002: the two external microservices (placeholder URLs); put each API key with
  // `aws secretsmanager put-secret-value` (README "External services").
  externalServices: [
    { name: "payments", baseUrl: "https://api.payments.example.com/v1", timeoutMs: 3000, apiKey: true },
    { name: "notifications", baseUrl: "https://api.notifications.example.com", timeoutMs: 5000, apiKey: true, apiKeyHeader: "authorization" },
  ],
  // Seed 000: one HTTP API, one Lambda per data store, all behind one repository interface (README "Data API").
  dataApi: {
    throttling: { rateLimit: 20, burstLimit: 40 },
    stores: [
      { name: "customers", kind: "aurora", table: "customers" },
      { name: "carts", kind: "dynamodb", table: "carts" },
      { name: "documents", kind: "s3", prefix: "documents" },
      { name: "payments", kind: "http", service: "payments", throttling: { rateLimit: 5, burstLimit: 10 } },
    ],
  },
  dataPipeline: {
    prefixes: ["incoming/"],
    suffixes: [".csv", ".json"],
    batchSize: 10,
    maxBatchingWindowSeconds: 5,
    releaseLabel: "emr-7.5.0",
    maxCapacity: { cpu: "8 vCPU", memory: "32 GB" },
    landingExpiryDays: 7,
  },
  // The JavaScript app on S3 and CloudFront, the API under /api/* on the same name. dev's DNS is at an
  // external provider (the `frontend_dns_records` output lists what to create there); placeholder name.
  domain: {
    name: "app.dev.example.com",
    zoneName: "dev.example.com",
    dns: "external",
  },
  frontend: {
    enabled: true,
    priceClass: "PriceClass_100",
    accessLogRetentionDays: 30,
    wafLogRetentionDays: 30,
  },
  // Monthly cost guard: an AWS Budgets alert to the alerts topic, and `npm run cost` fails above it.
  budgets: { monthlyUsd: 250 },
  // A development workspace sees little traffic (see README "Cost estimate" for the defaults).
  costAssumptions: {
    web: { requestsPerMonth: 200_000, egressGbPerMonth: 5, averageLcu: 0.2 },
    natGbPerMonth: 10,
    aurora: { averageLoad: 0.1, storageGb: 5, ioMillionsPerMonth: 2 },
    logs: { flowLogsGb: 2, cloudTrailLogsGb: 1 },
    emrServerless: { jobsPerMonth: 20 },
  },
  operations: {
    alertEmails: [],
    // The dev account's own trail (management events; the first trail's are free). WAF and AWS
    // Backup are production concerns.
    cloudTrail: true,
    cloudTrailRetentionDays: 90,
    waf: false,
    backup: false,
  },
  // Developer access: the access host (stopped until started) and the developer role (MFA). Replace
  // the placeholder principal with your developers' IAM users, or roles they assume with MFA (a
  // federated or SSO session carries no MFA flag; a role-chained session lasts at most one hour).
  access: {
    enabled: true,
    allowedPrincipalArns: ["arn:aws:iam::111122223333:role/acme-developers"],
    maxSessionHours: 1,
  },
  // The repository whose GitHub Actions deploy the platform (OIDC roles in the account's bootstrap stack).
  github: {
    owner: "acme-corp",
    repository: "platform",
    mainBranch: "main",
  },
  // The organization the accounts belong to: the organization stack's resource control policy
  // denies assuming any of their roles from outside it (placeholder ids; use yours).
  organization: {
    id: "o-a1b2c3d4e5",
    managementAccountId: "777788889999",
    targetIds: ["r-a1b2"],
  },
};
