import type { EnvironmentInput } from "../src/config/schema";

/** Production workspace: three AZs, a NAT gateway per AZ, long retention. */
export const prod: EnvironmentInput = {
  project: "acme",
  name: "prod",
  stage: "production",
  // Each workspace has an AWS account of its own (placeholder id; use yours).
  accountId: "444455556666",
  region: "us-east-1",
  // Zone IDs name the same zones in every account; EMR Serverless (the data pipeline) does not run in use1-az3.
  availabilityZones: ["use1-az1", "use1-az2", "use1-az4"],
  tags: {
    Owner: "platform-team",
    CostCenter: "cc-2001",
  },
  state: {
    bucket: "acme-terraform-state-444455556666",
    lockTable: "acme-terraform-locks",
  },
  network: {
    cidr: "10.20.0.0/16",
    natStrategy: "per-az",
    flowLogRetentionDays: 365,
  },
  ecr: {
    repositories: [
      { name: "web", keepLastTagged: 50, untaggedExpiryDays: 7 },
      { name: "api", keepLastTagged: 50, untaggedExpiryDays: 7 },
    ],
  },
  logRetentionDays: 365,
  loadBalancer: {
    deletionProtection: true,
    accessLogs: true,
    accessLogRetentionDays: 365,
  },
  services: [
    {
      name: "web",
      repository: "web",
      containerPort: 8000,
      cpu: 1024,
      memory: 2048,
      environment: { APP_ENV: "prod", LOG_LEVEL: "info" },
      desiredCount: 3,
      minCount: 3,
      maxCount: 12,
      public: { priority: 100, pathPatterns: ["/*"] },
      // web calls api through Service Connect: it gets API_URL=http://api:9000; nothing else may call api.
      calls: ["api"],
      sendsTo: ["default"],
      healthCheck: { path: "/health", matcher: "200", healthyThreshold: 3, unhealthyThreshold: 3 },
      // Sessions read-write and carts read-only (task role, table and indexes); the two external
      // services' URLs and keys; the data API (DATA_API_URL, SigV4 with the task role).
      tables: [
        { table: "sessions", access: "read-write" },
        { table: "carts", access: "read" },
      ],
      externalServices: ["payments", "notifications"],
      dataApi: true,
      // Two tasks always on on-demand Fargate, the rest split 1:3 with Spot.
      capacity: { onDemandBase: 2, onDemandWeight: 1, spotWeight: 3 },
      memoryTargetPercent: 80,
      requestsPerTarget: 1000,
    },
    {
      // Internal only: reached by web, on its own Graviton Auto Scaling group.
      name: "api",
      repository: "api",
      containerPort: 9000,
      cpu: 1024,
      memory: 2048,
      environment: { APP_ENV: "prod", LOG_LEVEL: "info" },
      minCount: 2,
      maxCount: 8,
      compute: "ec2",
      ec2: {
        instanceTypes: ["m7g.large", "m6g.large"],
        architecture: "arm64",
        minInstances: 2,
        maxInstances: 6,
        // Two instances always on-demand, half of the rest Spot.
        onDemandBase: 2,
        onDemandPercentAboveBase: 50,
      },
    },
  ],
  database: {
    instanceCount: 2,
    instanceClass: "db.serverless",
    minCapacity: 1,
    maxCapacity: 16,
    backupRetentionDays: 14,
    deletionProtection: true,
    skipFinalSnapshot: false,
    performanceInsights: true,
    readerAutoscaling: { minReaders: 1, maxReaders: 3, targetCpuPercent: 70 },
    migrateCommand: ["python", "manage.py", "migrate", "--noinput"],
  },
  workers: [
    {
      name: "default",
      command: ["celery", "-A", "app", "worker", "--loglevel", "INFO", "--concurrency", "4"],
      cpu: 1024,
      memory: 2048,
      taskTimeLimitSeconds: 900,
      visibilityTimeoutSeconds: 1800,
      minCount: 1,
      maxCount: 10,
      // One on-demand worker always; bursts on Spot (SQS redelivers interrupted work).
      capacity: { onDemandBase: 1, onDemandWeight: 0, spotWeight: 1 },
      cpuTargetPercent: 75,
    },
  ],
  scheduledTasks: [
    {
      name: "nightly-report",
      command: ["python", "manage.py", "nightly_report"],
      schedule: "cron(0 2 * * ? *)",
      timeZone: "Europe/Berlin",
      // Must finish: run on on-demand Fargate.
      capacity: { onDemandBase: 1, onDemandWeight: 1, spotWeight: 0 },
    },
    {
      name: "cleanup-sessions",
      command: ["python", "manage.py", "clearsessions"],
      schedule: "rate(6 hours)",
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
      // Steady traffic: provisioned capacity, target tracking at 70 % between these bounds.
      billing: { mode: "provisioned", read: { min: 5, max: 200 }, write: { min: 5, max: 100 }, targetUtilizationPercent: 70 },
      // A key of its own: only the roles granted the table may use it, through DynamoDB.
      encryption: "customer-managed",
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
    throttling: { rateLimit: 200, burstLimit: 400 },
    stores: [
      { name: "customers", kind: "aurora", table: "customers" },
      { name: "carts", kind: "dynamodb", table: "carts", reservedConcurrency: 20 },
      { name: "documents", kind: "s3", prefix: "documents" },
      { name: "payments", kind: "http", service: "payments", throttling: { rateLimit: 50, burstLimit: 100 } },
    ],
  },
  dataPipeline: {
    prefixes: ["incoming/"],
    suffixes: [".csv", ".json", ".csv.gz"],
    batchSize: 10,
    maxBatchingWindowSeconds: 5,
    reservedConcurrency: 10,
    releaseLabel: "emr-7.5.0",
    maxCapacity: { cpu: "64 vCPU", memory: "256 GB", disk: "1000 GB" },
    landingExpiryDays: 30,
  },
  // HTTPS on this name: the platform issues the certificates (CloudFront's in us-east-1, the load
  // balancer's for origin.<name>), validates them in the hosted zone and writes the alias records.
  // Replace with your domain and zone.
  domain: {
    name: "app.example.com",
    hostedZoneId: "Z0123456789EXAMPLEZONE",
    zoneName: "example.com",
  },
  // The JavaScript app on S3 and CloudFront at app.example.com, the API under /api/*; the load balancer
  // then answers on origin.app.example.com and only to CloudFront.
  frontend: {
    enabled: true,
    priceClass: "PriceClass_All",
    accessLogRetentionDays: 365,
  },
  // Monthly cost guard: an AWS Budgets alert to the alerts topic, and `npm run cost` fails above it.
  budgets: { monthlyUsd: 1200 },
  operations: {
    alertEmails: ["platform-alerts@example.com"],
    cloudTrail: true,
    cloudTrailRetentionDays: 365,
    waf: true,
    wafRateLimitPer5Minutes: 2000,
    // The application takes uploads and form posts over 8 KB: count them instead of answering 403.
    // WAF inspects only their first 8 KB, so the application validates sizes and content itself.
    wafOversizeBodies: "count",
    backup: true,
    backupRetentionDays: 35,
  },
  // Disaster recovery: every recovery point copied to a vault in us-west-2 (its own key), the landing
  // bucket replicated there. The access host stays off (access.enabled defaults to false).
  disasterRecovery: {
    region: "us-west-2",
    mode: "backup-copy",
    copyRetentionDays: 35,
    replicateBuckets: ["landing"],
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
