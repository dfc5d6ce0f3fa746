import { describe, expect, it } from "vitest";
import { environmentSources } from "../environments";
import { checkEnvironment, ConfigError, loadEnvironments } from "../src/config/load";
import { rawEnvironment } from "./helpers";

const DEV = "environments/dev.ts";

/** Validates a broken copy of dev and returns the problem lines. */
function problems(mutate: (env: Record<string, any>) => void): string[] {
  const data = rawEnvironment("dev");
  mutate(data);
  return checkEnvironment({ file: DEV, data }).problems;
}

describe("environment schema", () => {
  it("accepts the repository's environments and fills defaults", () => {
    const [dev, prod] = loadEnvironments(environmentSources);
    expect(dev.name).toBe("dev");
    expect(dev.availabilityZones).toHaveLength(2);
    expect(dev.network.natStrategy).toBe("single");
    expect(dev.state.region).toBe(dev.region);
    expect(prod.availabilityZones).toHaveLength(3);
    expect(prod.network.natStrategy).toBe("per-az");
  });

  it("accepts zones by ID, or by name where the data pipeline need not be checked", () => {
    const accepts = (mutate: (e: Record<string, any>) => void) => expect(problems(mutate)).toEqual([]);
    // use1-az3 is fine for the VPC as long as EMR Serverless keeps two zones it runs in.
    accepts((e) => (e.availabilityZones = ["use1-az1", "use1-az3", "use1-az6"]));
    // Zone names: without the pipeline, or in a region where EMR Serverless runs in every zone.
    accepts((e) => Object.assign(e, { availabilityZones: ["us-east-1a", "us-east-1b"], dataPipeline: { ...e.dataPipeline, enabled: false } }));
    accepts((e) => Object.assign(e, { region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b"] }));
    accepts((e) => Object.assign(e, { region: "eu-west-1", availabilityZones: ["euw1-az1", "euw1-az3"] }));
    accepts((e) => Object.assign(e, { region: "ap-southeast-2", availabilityZones: ["apse2-az1", "apse2-az2"] }));
  });

  it.each([
    ["a malformed CIDR", (e: any) => (e.network.cidr = "10.10.0/16"), `${DEV}: network.cidr: "10.10.0/16" is not an IPv4 CIDR block (expected a.b.c.d/n)`],
    ["an octet above 255", (e: any) => (e.network.cidr = "10.300.0.0/16"), `${DEV}: network.cidr: "10.300.0.0/16" has an octet above 255`],
    ["a prefix wider than /16", (e: any) => (e.network.cidr = "10.0.0.0/8"), `${DEV}: network.cidr: prefix /8 is outside the /16-/23 range the VPC layout supports`],
    ["a prefix narrower than /24", (e: any) => (e.network.cidr = "10.0.0.0/26"), `${DEV}: network.cidr: prefix /26 is outside the /16-/23 range the VPC layout supports`],
    ["a /24, whose subnets are too small for a load balancer", (e: any) => (e.network.cidr = "10.0.0.0/24"), `${DEV}: network.cidr: a /24 leaves /28 subnets, smaller than the /27 an Application Load Balancer needs; use /23 or larger`],
    ["host bits", (e: any) => (e.network.cidr = "10.10.1.0/16"), `${DEV}: network.cidr: "10.10.1.0/16" has host bits set (the network address is 10.10.0.0/16)`],
    ["fewer than 2 AZs", (e: any) => (e.availabilityZones = ["use1-az1"]), `${DEV}: availabilityZones: at least 2 availability zones are needed for high availability`],
    ["more than 4 AZs", (e: any) => (e.availabilityZones = [1, 2, 4, 5, 6].map((n) => `use1-az${n}`)), `${DEV}: availabilityZones: at most 4 availability zones fit the subnet layout`],
    ["a zone name outside the region", (e: any) => Object.assign(e, { availabilityZones: ["us-east-1a", "eu-west-1b"], dataPipeline: undefined }), `${DEV}: availabilityZones[1]: "eu-west-1b" is neither a zone name (us-east-1a) nor a zone ID (use1-az1) of region us-east-1`],
    ["a zone name of a longer region name", (e: any) => Object.assign(e, { availabilityZones: ["us-east-1a", "us-east-11a"], dataPipeline: undefined }), `${DEV}: availabilityZones[1]: "us-east-11a" is neither a zone name (us-east-1a) nor a zone ID (use1-az1) of region us-east-1`],
    ["a zone ID of another region", (e: any) => (e.availabilityZones = ["use1-az1", "euw1-az2"]), `${DEV}: availabilityZones[1]: "euw1-az2" is not a zone ID of region us-east-1 (those start with "use1-az")`],
    ["a zone ID of a longer region name", (e: any) => (e.availabilityZones = ["use1-az1", "use11-az2"]), `${DEV}: availabilityZones[1]: "use11-az2" is not a zone ID of region us-east-1 (those start with "use1-az")`],
    ["a malformed zone ID", (e: any) => (e.availabilityZones = ["use1-az1", "use1-az"]), `${DEV}: availabilityZones[1]: "use1-az" is neither a zone name (us-east-1a) nor a zone ID (use1-az1) of region us-east-1`],
    ["zone names and zone IDs mixed", (e: any) => (e.availabilityZones = ["use1-az1", "us-east-1b"]), `${DEV}: availabilityZones: mixes zone names and zone IDs; list every zone the same way`],
    ["a duplicate AZ", (e: any) => (e.availabilityZones = ["use1-az1", "use1-az1"]), `${DEV}: availabilityZones[1]: "use1-az1" is listed twice`],
    ["zone names with the pipeline in a region where EMR Serverless runs in some zones only", (e: any) => (e.availabilityZones = ["us-east-1a", "us-east-1b"]), `${DEV}: availabilityZones: the data pipeline: EMR Serverless runs only in zones use1-az1, use1-az2, use1-az4, use1-az5, use1-az6 of us-east-1, and a zone name maps to a different zone in each account: list availabilityZones by zone ID (aws ec2 describe-availability-zones --query "AvailabilityZones[].[ZoneName,ZoneId]")`],
    ["the pipeline left with one zone EMR Serverless runs in", (e: any) => (e.availabilityZones = ["use1-az1", "use1-az3"]), `${DEV}: availabilityZones: the data pipeline: EMR Serverless needs at least 2 zones it supports, and use1-az3 is not among use1-az1, use1-az2, use1-az4, use1-az5, use1-az6 (us-east-1)`],
    ["duplicate repository names", (e: any) => (e.ecr.repositories = [{ name: "web" }, { name: "web" }]), `${DEV}: ecr.repositories[1].name: duplicate name "web"`],
    ["an unknown NAT strategy", (e: any) => (e.network.natStrategy = "triple"), `${DEV}: network.natStrategy: "triple" is not one of "single", "per-az"`],
    ["a retention CloudWatch does not offer", (e: any) => (e.network.flowLogRetentionDays = 10), expect.stringMatching(/^environments\/dev\.ts: network\.flowLogRetentionDays: must be one of CloudWatch's retention periods \(1, 3, 5/)],
    ["a region that is not one", (e: any) => (e.region = "useast1"), `${DEV}: region: must be an AWS region name such as us-east-1`],
    ["a short account id", (e: any) => (e.accountId = "12345"), `${DEV}: accountId: must be a 12-digit AWS account id`],
    ["an organization id that is not one", (e: any) => (e.organization.id = "org-1"), `${DEV}: organization.id: must be an AWS Organizations id such as o-a1b2c3d4e5`],
    ["an organization without targets", (e: any) => (e.organization.targetIds = []), `${DEV}: organization.targetIds: attach the policy to at least one root, organizational unit or account`],
    ["a policy target that is not one", (e: any) => (e.organization.targetIds = ["root"]), `${DEV}: organization.targetIds[0]: must be a root (r-...), an organizational unit (ou-...) or an account id`],
    ["a GitHub provider ARN (one account's)", (e: any) => (e.github.existingProviderArn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"), `${DEV}: github.existingProviderArn: replaced by existingProviderAccounts: list the accounts whose GitHub OIDC provider exists (each account's ARN is derived)`],
    ["a repository id that is not a number", (e: any) => (e.github.immutableIds = { owner: 1, repository: -2 }), `${DEV}: github.immutableIds.repository: Number must be greater than 0`],
    ["an upper-case bucket name", (e: any) => (e.state.bucket = "Acme-State"), `${DEV}: state.bucket: S3 bucket names use lower-case letters, digits, dots and hyphens`],
    ["a missing owner tag", (e: any) => delete e.tags.Owner, `${DEV}: tags.Owner: Required`],
    ["a tag the platform sets", (e: any) => (e.tags.Environment = "x"), `${DEV}: tags.Environment: Project, Environment, ManagedBy are set by the platform`],
    ["an aws: tag", (e: any) => (e.tags["aws:foo"] = "x"), `${DEV}: tags.aws:foo: tag keys cannot start with 'aws:'`],
    ["an unknown field", (e: any) => (e.network.cidrs = "x"), `${DEV}: network: unknown field(s) "cidrs"`],
    ["a project name with capitals", (e: any) => (e.project = "Acme"), `${DEV}: project: project must start with a letter and use lower-case letters, digits and hyphens (at most 20 characters)`],
    ["a cpu/memory pair Fargate does not offer", (e: any) => (e.services[0].memory = 4096), `${DEV}: services[0].memory: cpu/memory is not a Fargate size: memory 4096 MiB does not fit cpu 256 (allowed: 512-2048 MiB in Fargate steps)`],
    ["an unknown cpu size", (e: any) => (e.services[0].cpu = 300), `${DEV}: services[0].memory: cpu/memory is not a Fargate size: cpu 300 is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)`],
    ["minCount above maxCount", (e: any) => Object.assign(e.services[0], { minCount: 3, maxCount: 2, desiredCount: 2 }), `${DEV}: services[0].minCount: minCount 3 is above maxCount 2`],
    ["a desired count outside min..max", (e: any) => (e.services[0].desiredCount = 5), `${DEV}: services[0].desiredCount: desiredCount 5 must be between minCount 1 and maxCount 2`],
    ["a health check path without /", (e: any) => (e.services[0].healthCheck.path = "health"), `${DEV}: services[0].healthCheck.path: must start with "/"`],
    ["a health check timeout not below the interval", (e: any) => Object.assign(e.services[0].healthCheck, { intervalSeconds: 10, timeoutSeconds: 10 }), `${DEV}: services[0].healthCheck.timeoutSeconds: timeoutSeconds must be below intervalSeconds`],
    ["a credential in plain environment", (e: any) => (e.services[0].environment.DB_PASSWORD = "hunter2"), `${DEV}: services[0].environment.DB_PASSWORD: looks like a credential; inject it as an ECS secret, never as plain environment`],
    ["a repository that does not exist", (e: any) => (e.services[0].repository = "api"), `${DEV}: services[0].repository: "api" is not in ecr.repositories (web)`],
    ["a malformed certificate ARN", (e: any) => Object.assign(e, { domain: undefined, frontend: undefined, loadBalancer: { ...e.loadBalancer, certificateArn: "arn:aws:iam::123456789012:server-certificate/x" } }), `${DEV}: loadBalancer.certificateArn: must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)`],
    ["Serverless v2 min above max", (e: any) => Object.assign(e.database, { minCapacity: 8, maxCapacity: 4 }), `${DEV}: database.minCapacity: minCapacity 8 ACU is above maxCapacity 4 ACU`],
    ["a capacity off the 0.5 ACU grid", (e: any) => (e.database.maxCapacity = 2.3), `${DEV}: database.maxCapacity: Aurora capacity units come in steps of 0.5`],
    ["an unknown password source", (e: any) => (e.database.passwordSource = "vault"), `${DEV}: database.passwordSource: "vault" is not one of "managed", "ssm"`],
    ["duplicate worker names", (e: any) => e.workers.push({ ...e.workers[0] }), `${DEV}: workers[1].name: duplicate name "default"`],
    ["a worker with minCount above maxCount", (e: any) => Object.assign(e.workers[0], { minCount: 3, maxCount: 2 }), `${DEV}: workers[0].minCount: minCount 3 is above maxCount 2`],
    ["a visibility timeout not above the task time limit", (e: any) => Object.assign(e.workers[0], { taskTimeLimitSeconds: 900, visibilityTimeoutSeconds: 900 }), `${DEV}: workers[0].visibilityTimeoutSeconds: 900 s must exceed taskTimeLimitSeconds (900 s), or SQS redelivers tasks that are still running`],
    ["a worker size Fargate does not offer", (e: any) => Object.assign(e.workers[0], { cpu: 512, memory: 512 }), `${DEV}: workers[0].memory: cpu/memory is not a Fargate size: memory 512 MiB does not fit cpu 512 (allowed: 1024-4096 MiB in Fargate steps)`],
    ["duplicate scheduled task names", (e: any) => e.scheduledTasks.push({ ...e.scheduledTasks[0] }), `${DEV}: scheduledTasks[1].name: duplicate name "nightly-report"`],
    ["a cron with five fields", (e: any) => (e.scheduledTasks[0].schedule = "cron(0 2 * * ?)"), `${DEV}: scheduledTasks[0].schedule: cron has 5 fields, expected 6 (minutes hours day-of-month month day-of-week year)`],
    ["minute 61", (e: any) => (e.scheduledTasks[0].schedule = "cron(61 2 * * ? *)"), expect.stringMatching(/^environments\/dev\.ts: scheduledTasks\[0\]\.schedule: .*minute.*61.*0-59/)],
    ["day-of-month and day-of-week both set", (e: any) => (e.scheduledTasks[0].schedule = "cron(0 2 1 * MON *)"), expect.stringMatching(/^environments\/dev\.ts: scheduledTasks\[0\]\.schedule: .*day-of-month and day-of-week/)],
    ["rate(0 minutes)", (e: any) => (e.scheduledTasks[0].schedule = "rate(0 minutes)"), expect.stringMatching(/^environments\/dev\.ts: scheduledTasks\[0\]\.schedule: .*rate/)],
    ["an unknown time zone", (e: any) => (e.scheduledTasks[0].timeZone = "Mars/Olympus"), expect.stringMatching(/^environments\/dev\.ts: scheduledTasks\[0\]\.timeZone: .*Mars\/Olympus/)],
    ["a pipeline batch size above the SQS limit", (e: any) => (e.dataPipeline.batchSize = 20000), `${DEV}: dataPipeline.batchSize: SQS batches hold 1 to 10000 messages`],
    ["a pipeline batch size of 0", (e: any) => (e.dataPipeline.batchSize = 0), `${DEV}: dataPipeline.batchSize: SQS batches hold 1 to 10000 messages`],
    ["a large batch without a batching window", (e: any) => Object.assign(e.dataPipeline, { batchSize: 100, maxBatchingWindowSeconds: 0 }), `${DEV}: dataPipeline.maxBatchingWindowSeconds: batchSize 100 needs a batching window of at least 1 second (Lambda requires one above 10 messages)`],
    ["an EMR capacity that is not N vCPU", (e: any) => (e.dataPipeline.maxCapacity.cpu = "4 cpus"), `${DEV}: dataPipeline.maxCapacity.cpu: must look like "16 vCPU" (a whole number, a space, "vCPU")`],
    ["an EMR memory that is not N GB", (e: any) => (e.dataPipeline.maxCapacity.memory = "64GiB"), `${DEV}: dataPipeline.maxCapacity.memory: must look like "64 GB" (a whole number, a space, "GB")`],
    ["an empty suffix list", (e: any) => (e.dataPipeline.suffixes = []), `${DEV}: dataPipeline.suffixes: at least one suffix is needed (S3 would notify on every object)`],
    ["an unpinned EMR release", (e: any) => (e.dataPipeline.releaseLabel = "latest"), `${DEV}: dataPipeline.releaseLabel: must be a pinned EMR release such as "emr-7.5.0"`],
    ["the pipeline with SSM credentials", (e: any) => (e.database.passwordSource = "ssm"), `${DEV}: dataPipeline.enabled: the pipeline's Spark jobs read the Secrets Manager secret of database.passwordSource "managed"`],
    ["both a domain and a certificate", (e: any) => Object.assign(e, { frontend: undefined, domain: { name: "app.example.com", hostedZoneId: "Z123ABC" }, loadBalancer: { ...e.loadBalancer, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b7c5a3e-1111-2222-3333-444455556666" } }), `${DEV}: loadBalancer.certificateArn: set either domain (the platform issues the certificate) or loadBalancer.certificateArn, not both`],
    ["a hosted zone id that is not one", (e: any) => (e.domain = { name: "app.example.com", hostedZoneId: "zone-1" }), `${DEV}: domain.hostedZoneId: must be a Route 53 hosted zone id (Z followed by upper-case letters and digits)`],
    ["Route 53 DNS without a hosted zone id", (e: any) => (e.domain = { name: "app.example.com" }), `${DEV}: domain.hostedZoneId: Route 53 DNS needs the hosted zone id (or set dns: "external")`],
    ["an external DNS provider with a hosted zone id", (e: any) => (e.domain = { name: "app.example.com", hostedZoneId: "Z123ABC", dns: "external" }), `${DEV}: domain.hostedZoneId: an external DNS provider has no Route 53 hosted zone; remove hostedZoneId or set dns: "route53"`],
    ["a domain outside the hosted zone", (e: any) => (e.domain = { name: "app.example.org", zoneName: "example.com", dns: "external" }), `${DEV}: domain.name: "app.example.org" is outside the hosted zone "example.com"`],
    ["a domain that only ends like the zone", (e: any) => (e.domain = { name: "app.notexample.com", zoneName: "example.com", hostedZoneId: "Z123ABC" }), `${DEV}: domain.name: "app.notexample.com" is outside the hosted zone "example.com"`],
    ["the frontend without a certificate path", (e: any) => (e.domain = undefined), `${DEV}: frontend.enabled: the frontend needs a certificate path: set domain (a Route 53 hostedZoneId, or dns: "external")`],
    ["an external DNS provider without the frontend", (e: any) => (e.frontend.enabled = false), `${DEV}: domain.dns: an external DNS provider serves the frontend (CloudFront) only; enable frontend, or use a Route 53 hosted zone for the load balancer`],
    ["an unknown price class", (e: any) => (e.frontend.priceClass = "PriceClass_50"), `${DEV}: frontend.priceClass: "PriceClass_50" is not one of "PriceClass_100", "PriceClass_200", "PriceClass_All"`],
    ["a CSP that is not a string of directives", (e: any) => (e.frontend.contentSecurityPolicy = "self only, please"), `${DEV}: frontend.contentSecurityPolicy: must be a string of CSP directives: has "self", which is not a CSP directive (such as default-src 'self'; object-src 'none')`],
    ["a CSP naming a directive twice", (e: any) => (e.frontend.contentSecurityPolicy = "default-src 'self'; default-src 'none'"), `${DEV}: frontend.contentSecurityPolicy: must be a string of CSP directives: names default-src twice`],
    ["a CSP over CloudFront's length", (e: any) => (e.frontend.contentSecurityPolicy = `default-src ${"https://a.example.com ".repeat(90)}`), `${DEV}: frontend.contentSecurityPolicy: must be a string of CSP directives: is 1992 characters long; CloudFront accepts at most 1783`],
    ["an API path that matches everything", (e: any) => (e.frontend.apiPathPattern = "/*"), `${DEV}: frontend.apiPathPattern: must not match every path (that is the default behaviour)`],
    ["an asset path that is the API path", (e: any) => (e.frontend.hashedAssetPaths = ["/assets/*", "/api/*"]), `${DEV}: frontend.hashedAssetPaths[1]: "/api/*" is listed twice (or is the apiPathPattern)`],
    ["the frontend in a region without a recorded prefix list", (e: any) => Object.assign(e, { region: "ca-central-1", availabilityZones: ["cac1-az1", "cac1-az2"], dataPipeline: undefined }), `${DEV}: frontend.enabled: no CloudFront origin-facing prefix list id is recorded for ca-central-1 (the load balancer admits only CloudFront); add it to modules/frontend/origin-facing.ts`],
    ["host routing behind CloudFront", (e: any) => (e.services[0].public = { priority: 1, pathPatterns: ["/a"], hostHeaders: ["a.example.com"] }), `${DEV}: services[0].public.hostHeaders: cannot match behind the frontend: CloudFront sends the origin's Host header to the load balancer; route by pathPatterns`],
    ["an oversize-body action WAF rules do not have", (e: any) => (e.operations.wafOversizeBodies = "allow"), `${DEV}: operations.wafOversizeBodies: "allow" is not one of "block", "count"`],
    ["an alert address that is not one", (e: any) => (e.operations.alertEmails = ["ops"]), `${DEV}: operations.alertEmails[0]: must be an e-mail address`],
    ["an unknown alarm threshold", (e: any) => (e.operations.thresholds = { cpuPercnt: 70 }), `${DEV}: operations.thresholds: unknown field(s) "cpuPercnt"`],
    ["overlapping pipeline prefixes", (e: any) => (e.dataPipeline.prefixes = ["incoming/", "incoming/orders/"]), expect.stringMatching(/^environments\/dev\.ts: dataPipeline\.prefixes: .*incoming\/.*incoming\/orders\//)],
    ["a worker named like the pipeline's queue", (e: any) => { e.workers[0].name = "ingest"; e.services[0].sendsTo = []; }, `${DEV}: workers[0].name: "ingest" collides with a name the platform uses (ingest, migrate, task-*, *-dlq)`],
    ["a worker named like a scheduled task", (e: any) => { e.workers[0].name = "task-nightly-report"; e.services[0].sendsTo = []; }, `${DEV}: workers[0].name: "task-nightly-report" collides with a name the platform uses (ingest, migrate, task-*, *-dlq)`],
    ["a service named migrate", (e: any) => (e.services[0].name = "migrate"), `${DEV}: services[0].name: "migrate" collides with a name the platform uses (alb, audit, backup, cluster, data-api, database, ecr, https, ingest, migrate, monitoring, network, pipeline, schedule-group, service-connect, waf, worker-*, task-*, scheduled-*, database-*, migrate-*, table-*, data-api-*, external-*, *-task, *-capacity, *-instance, *-exec)`],
    ["a service named like another's task", (e: any) => e.services.push({ ...e.services[0], name: "web-task", public: { priority: 5, pathPatterns: ["/t/*"] } }), expect.stringMatching(/^environments\/dev\.ts: services\[1\]\.name: "web-task" collides with a name the platform uses/)],
    ["a path and host another service already routes", (e: any) => e.services.push({ ...e.services[0], name: "admin", public: { priority: 90, pathPatterns: ["/admin/*", "/*"] } }), `${DEV}: services[1].public: routes a path and host that service "web" already routes`],
    ["calls that go round", (e: any) => { e.services.push({ ...e.services[0], name: "api", public: undefined, healthCheck: undefined, containerPort: 9000, calls: ["web"] }); e.services[0].calls = ["api"]; }, `${DEV}: services[0].calls: calls go round (web -> api -> web); a caller is deployed after the services it calls`],
    ["four path patterns in one condition", (e: any) => (e.services[0].public.pathPatterns = ["/a", "/b", "/c", "/d"]), `${DEV}: services[0].public.pathPatterns: a listener-rule condition matches at most 3 values`],
    ["a caller listing a service twice", (e: any) => { e.services.push({ ...e.services[0], name: "api", public: undefined, healthCheck: undefined, containerPort: 9000 }); e.services[0].calls = ["api", "api"]; }, `${DEV}: services[0].calls: lists a service twice`],
    ["a container health check without CMD", (e: any) => (e.services[0].containerHealthCheck = { command: ["curl", "-f", "x"] }), `${DEV}: services[0].containerHealthCheck.command: starts with "CMD" or "CMD-SHELL"`],
    ["the old single service field", (e: any) => (e.service = { name: "web" }), `${DEV}: service: replaced by services: a list of services; move this one into services: [{ name: "web", ..., public: { priority: 100, pathPatterns: ["/*"] } }]`],
    ["two services of one name", (e: any) => e.services.push({ ...e.services[0], public: { priority: 5, pathPatterns: ["/b/*"] } }), `${DEV}: services[1].name: duplicate name "web"`],
    ["two services at one priority", (e: any) => e.services.push({ ...e.services[0], name: "admin", public: { priority: 100, pathPatterns: ["/admin/*"] } }), `${DEV}: services[1].public.priority: 100 is already the priority of service "web"`],
    ["two services claiming the same paths", (e: any) => e.services.push({ ...e.services[0], name: "admin", public: { priority: 90, pathPatterns: ["/*"] } }), `${DEV}: services[1].public: routes a path and host that service "web" already routes`],
    ["a route with neither paths nor hosts", (e: any) => (e.services[0].public = { priority: 1 }), `${DEV}: services[0].public: needs pathPatterns, hostHeaders or both`],
    ["a route with six values", (e: any) => { e.frontend = { enabled: false }; delete e.domain; e.services[0].public = { priority: 1, pathPatterns: ["/a", "/b", "/c"], hostHeaders: ["a.example.com", "b.example.com", "c.example.com"] }; }, `${DEV}: services[0].public: has 6 path and host values; a listener rule holds at most 5`],
    ["a caller naming an unknown service", (e: any) => (e.services[0].calls = ["billing"]), `${DEV}: services[0].calls[0]: "billing" is not a service (web)`],
    ["an internal service nobody calls", (e: any) => e.services.push({ ...e.services[0], name: "api", public: undefined, healthCheck: undefined }), `${DEV}: services[1].public: service "api" has no public route and no service calls it; give it a route or list it in a caller's calls`],
    ["two called services on one port", (e: any) => { e.services.push({ ...e.services[0], name: "api", public: undefined, healthCheck: undefined }, { ...e.services[0], name: "auth", public: undefined, healthCheck: undefined }); e.services[0].calls = ["api", "auth"]; }, `${DEV}: services[2].containerPort: 8000 is also the port of service "api"; the platform gives every called service a port of its own, so an endpoint's port names its service`],
    ["a load-balancer setting on an internal service", (e: any) => { e.services.push({ ...e.services[0], name: "api", public: undefined }); e.services[0].calls = ["api"]; }, `${DEV}: services[1].healthCheck: is for public services (behind the load balancer); this one has no public route`],
    ["EC2 settings on a Fargate service", (e: any) => (e.services[0].ec2 = { instanceTypes: ["m7g.large"], architecture: "arm64", maxInstances: 2 }), `${DEV}: services[0].ec2: is for compute "ec2"; this service runs on Fargate`],
    ["an EC2 service without EC2 settings", (e: any) => { e.services[0].compute = "ec2"; delete e.services[0].capacity; }, `${DEV}: services[0].ec2: is required with compute "ec2" (instance types and group size)`],
    ["the Fargate split on an EC2 service", (e: any) => Object.assign(e.services[0], { compute: "ec2", ec2: { instanceTypes: ["m7i.large"], maxInstances: 2 } }), `${DEV}: services[0].capacity: is the Fargate on-demand/Spot split; with compute "ec2" use ec2.onDemandBase and ec2.onDemandPercentAboveBase`],
    ["an instance type of the other architecture", (e: any) => Object.assign(e.services[0], { compute: "ec2", capacity: undefined, ec2: { instanceTypes: ["m7g.large"], maxInstances: 2 } }), `${DEV}: services[0].ec2.instanceTypes[0]: m7g.large is an arm64 (Graviton) type; architecture is x86_64`],
    ["a producer naming no worker", (e: any) => (e.services[0].sendsTo = ["mail"]), `${DEV}: services[0].sendsTo[0]: "mail" is not a worker (default)`],
    ["a reserved master user name", (e: any) => (e.database.masterUsername = "rdsadmin"), `${DEV}: database.masterUsername: "rdsadmin" is reserved by PostgreSQL or RDS`],
    ["reader autoscaling with a single instance", (e: any) => (e.database.readerAutoscaling = { minReaders: 1, maxReaders: 2 }), `${DEV}: database.readerAutoscaling: reader autoscaling needs instanceCount of at least 2 (a writer and a reader to scale from)`],
    ["an engine upgrade kind that does not exist", (e: any) => (e.database.engineUpgrade = "patch"), `${DEV}: database.engineUpgrade: "patch" is not one of "none", "minor", "major"`],
    ["0 ACU on a version that cannot pause", (e: any) => Object.assign(e.database, { minCapacity: 0, engineVersion: "15.4" }), `${DEV}: database.minCapacity: 0 ACU needs Aurora PostgreSQL 16.3, 15.7, 14.12, 13.15 or later (engineVersion is 15.4)`],
  ])("refuses %s with one line naming file and field", (_what, mutate, expected) => {
    expect(problems(mutate)).toEqual([expected]);
  });

  it("reports every problem, one line each", () => {
    const lines = problems((e) => {
      e.network.cidr = "10.0.0.0/8";
      e.network.natStrategy = "none";
      e.availabilityZones = ["use1-az1"];
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toMatch(/^environments\/dev\.ts: [\w.[\]]+: /);
      expect(line).not.toContain("\n");
    }
  });
});

describe("production guardrails", () => {
  const PROD = "environments/prod.ts";
  const prodProblems = (mutate: (env: Record<string, any>) => void) => {
    const data = rawEnvironment("prod");
    mutate(data);
    return checkEnvironment({ file: PROD, data }).problems;
  };

  it("needs at least two database instances in production", () => {
    expect(prodProblems((e) => Object.assign(e.database, { instanceCount: 1, readerAutoscaling: undefined }))).toEqual([
      `${PROD}: database.instanceCount: production: needs at least 2 database instances (writer and a reader in another AZ)`,
    ]);
  });

  it("keeps deletion protection, final snapshots and two weeks of backups in production", () => {
    expect(
      prodProblems((e) => {
        e.database.deletionProtection = false;
        e.database.skipFinalSnapshot = true;
        e.database.backupRetentionDays = 7;
        e.loadBalancer.deletionProtection = false;
      }),
    ).toEqual([
      `${PROD}: database.deletionProtection: production: database deletion protection must stay on`,
      `${PROD}: database.skipFinalSnapshot: production: the database must take a final snapshot`,
      `${PROD}: database.backupRetentionDays: production: keep database backups for at least 14 days`,
      `${PROD}: loadBalancer.deletionProtection: production: load balancer deletion protection must stay on`,
    ]);
  });

  it("keeps the WAF and backups on in production", () => {
    expect(
      prodProblems((e) => {
        e.operations.waf = false;
        e.operations.backup = false;
      }),
    ).toEqual([
      // prod's disaster recovery copies the plan's recovery points.
      `${PROD}: disasterRecovery.mode: "backup-copy" copies the AWS Backup plan's recovery points; turn operations.backup on`,
      `${PROD}: operations.waf: production: the public load balancer needs the WAF`,
      `${PROD}: operations.backup: production: the database needs an AWS Backup plan`,
    ]);
  });

  it("allows the same relaxations in development", () => {
    expect(problems((e) => (e.database.instanceCount = 1))).toEqual([]);
  });
});

describe("rules across environments", () => {
  const dev = () => ({ file: "environments/dev.ts", data: rawEnvironment("dev") });
  const prod = () => ({ file: "environments/prod.ts", data: rawEnvironment("prod") });

  function refused(sources: Array<{ file: string; data: Record<string, any> }>): string[] {
    try {
      loadEnvironments(sources);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error("expected the environments to be refused");
  }

  it("refuses two workspaces with one name", () => {
    const p = prod();
    p.data.name = "dev";
    expect(refused([dev(), p])).toEqual([`environments/prod.ts: name: "dev" is already used by environments/dev.ts`]);
  });

  it("refuses a config still written with the single service field, naming the new field", () => {
    const d = dev();
    d.data.service = d.data.services[0];
    delete d.data.services;
    expect(refused([d])).toEqual([
      'environments/dev.ts: service: replaced by services: a list of services; move this one into services: [{ name: "web", ..., public: { priority: 100, pathPatterns: ["/*"] } }]',
    ]);
    const none = dev();
    delete none.data.services;
    expect(refused([none])).toEqual(["environments/dev.ts: services: Required"]);
  });

  it("refuses a project name ECS will not take at the start of a capacity provider's name, with EC2 services only", () => {
    const p = prod();
    p.data.project = "ecsapp";
    expect(refused([p])).toEqual([
      'environments/prod.ts: project: "ecsapp" starts with aws, ecs or fargate, which ECS refuses at the start of the EC2 services\' capacity-provider names',
    ]);
  });

  it.each(["bootstrap", "organization"])("refuses the reserved name %s", (name) => {
    const d = dev();
    d.data.name = name;
    expect(refused([d])).toEqual([
      `environments/dev.ts: name: "${name}" is reserved for the stacks that create the state backends and the organization policy`,
    ]);
  });

  it("refuses workspaces of different projects", () => {
    const p = prod();
    p.data.project = "other";
    expect(refused([dev(), p])).toEqual([`environments/prod.ts: project: "other" differs from "acme" in environments/dev.ts`]);
  });

  it("refuses two repositories deploying one platform", () => {
    const p = prod();
    p.data.github.repository = "other";
    expect(refused([dev(), p])).toEqual(["environments/prod.ts: github: differs from environments/dev.ts; one repository deploys every workspace"]);
  });

  /** prod moved into dev's account, with dev's state bucket. */
  const sharedProd = () => {
    const p = prod();
    p.data.accountId = dev().data.accountId;
    p.data.state.bucket = dev().data.state.bucket;
    return p;
  };

  it("gives each workspace an account of its own unless both declare sharing it", () => {
    expect(refused([dev(), sharedProd()])).toEqual([
      'environments/dev.ts: accountId: 111122223333 is also the account of "prod"; give each workspace its own account, or list each other in sharesAccountWith',
      'environments/prod.ts: accountId: 111122223333 is also the account of "dev"; give each workspace its own account, or list each other in sharesAccountWith',
    ]);
    const d = dev();
    d.data.sharesAccountWith = ["prod"];
    expect(refused([d, sharedProd()])).toEqual([
      'environments/prod.ts: accountId: 111122223333 is also the account of "dev"; give each workspace its own account, or list each other in sharesAccountWith',
    ]);
    const p = sharedProd();
    p.data.sharesAccountWith = ["dev"];
    expect(loadEnvironments([d, p]).map((e) => e.accountId)).toEqual(["111122223333", "111122223333"]);
  });

  it("refuses two workspaces of one account and region that both manage the Session Manager preferences", () => {
    const d = dev();
    d.data.sharesAccountWith = ["prod"];
    const p = sharedProd();
    p.data.sharesAccountWith = ["dev"];
    p.data.access = { ...d.data.access, maxSessionHours: 1 };
    expect(refused([d, p])).toEqual([
      "environments/prod.ts: access.manageSessionPreferences: environments/dev.ts already manages the account's Session Manager preferences (SSM-SessionManagerRunShell, one per account and region); set it to false in one of them",
    ]);
    p.data.access.manageSessionPreferences = false;
    expect(loadEnvironments([d, p])).toHaveLength(2);
  });

  it("refuses sharing an account with a workspace that does not exist or deploys elsewhere", () => {
    const d = dev();
    d.data.sharesAccountWith = ["prod", "qa"];
    expect(refused([d, prod()])).toEqual([
      'environments/dev.ts: sharesAccountWith[0]: "prod" deploys to account 444455556666, not 111122223333',
      'environments/dev.ts: sharesAccountWith[1]: "qa" is not a workspace',
    ]);
    const self = dev();
    self.data.sharesAccountWith = ["dev"];
    expect(refused([self])).toEqual(["environments/dev.ts: sharesAccountWith[0]: lists the workspace itself"]);
  });

  it("refuses one state bucket for two accounts (state lives in each workspace's account)", () => {
    const p = prod();
    p.data.state.bucket = dev().data.state.bucket;
    expect(refused([dev(), p])).toEqual([
      'environments/prod.ts: state.bucket: "acme-terraform-state-111122223333" is also the state bucket of environments/dev.ts, in another account; state lives in each workspace\'s own account',
    ]);
  });

  it("refuses state in two regions within one account (its bootstrap stack has one)", () => {
    const d = dev();
    d.data.sharesAccountWith = ["prod"];
    const p = sharedProd();
    p.data.sharesAccountWith = ["dev"];
    p.data.state.region = "eu-west-1";
    expect(refused([d, p])).toEqual([
      "environments/prod.ts: state.region: eu-west-1 differs from us-east-1 in environments/dev.ts; an account's bootstrap stack keeps its state in one region",
    ]);
  });

  it("refuses different organizations, and a workspace in the management account", () => {
    const p = prod();
    p.data.organization = { ...p.data.organization, id: "o-zzzzzzzzzz" };
    expect(refused([dev(), p])).toEqual([
      "environments/prod.ts: organization: differs from environments/dev.ts; every workspace account belongs to one organization",
    ]);
    const m = prod();
    m.data.accountId = m.data.organization.managementAccountId;
    m.data.state.bucket = `acme-terraform-state-${m.data.accountId}`;
    expect(refused([m])).toEqual([
      "environments/prod.ts: accountId: is the organization's management account, which resource control policies do not cover; deploy workspaces to member accounts",
    ]);
  });

  it("lets a workspace live in another region while its state stays with the others", () => {
    const p = prod();
    p.data.region = "eu-west-1";
    p.data.availabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
    p.data.state.region = "us-east-1";
    expect(loadEnvironments([dev(), p])[1].state.region).toBe("us-east-1");
  });
});

describe("budgets and costAssumptions", () => {
  it("refuses a budget that is not a positive amount, with one line naming the field", () => {
    expect(problems((env) => (env.budgets = { monthlyUsd: -5 }))).toEqual(["environments/dev.ts: budgets.monthlyUsd: must be a positive amount in USD"]);
    expect(problems((env) => (env.budgets = { monthlyUsd: 100, alertAt: 50 }))).toEqual(['environments/dev.ts: budgets: unknown field(s) "alertAt"']);
  });

  it("refuses an unknown or out-of-range usage assumption", () => {
    expect(problems((env) => (env.costAssumptions = { nat: 3 }))).toEqual(['environments/dev.ts: costAssumptions: unknown field(s) "nat"']);
    expect(problems((env) => (env.costAssumptions = { ecs: { spotDiscount: 1.5 } }))).toEqual([
      "environments/dev.ts: costAssumptions.ecs.spotDiscount: Number must be less than or equal to 1",
    ]);
  });

  it("fills the budget's alert defaults", () => {
    const dev = loadEnvironments(environmentSources).find((e) => e.name === "dev")!;
    expect(dev.budgets).toEqual({ monthlyUsd: 250, actualAlertPercent: [80, 100], forecastAlertPercent: 100 });
  });
});

describe("compute: ecs | eks", () => {
  const STAGING = "environments/staging-eks.ts";
  const eksProblems = (mutate: (env: Record<string, any>) => void): string[] => {
    const data = rawEnvironment("staging-eks");
    mutate(data);
    return checkEnvironment({ file: STAGING, data }).problems;
  };

  it("keeps ECS the default and gives an EKS workspace its eks block with defaults", () => {
    const [dev, prod, staging] = loadEnvironments(environmentSources);
    expect([dev.compute, prod.compute, staging.compute]).toEqual(["ecs", "ecs", "eks"]);
    expect(dev.eks).toBeUndefined();
    expect(staging.eks).toMatchObject({ version: "1.32", endpoint: { publicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }, apps: {} });
    expect(staging.eks!.controlPlaneLogTypes).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    const minimal = rawEnvironment("staging-eks");
    delete minimal.eks;
    const parsed = checkEnvironment({ file: STAGING, data: minimal }).config!;
    expect(parsed.eks).toMatchObject({ version: "1.32", endpoint: { publicAccess: false, publicAccessCidrs: [] }, admins: [], controlPlaneLogRetentionDays: 90 });
    expect(parsed.eks!.observabilityRetentionDays).toEqual({ logs: 30, metrics: 90, traces: 14 });
  });

  it.each([
    ["an eks block on an ECS workspace", (e: any) => (e.eks = {}), `${DEV}: eks: is for compute "eks"; this workspace runs on ECS (set compute: "eks" or remove the block)`],
    ["an unknown compute", (e: any) => (e.compute = "nomad"), `${DEV}: compute: "nomad" is not one of "ecs", "eks"`],
  ])("refuses %s", (_what, mutate, expected) => {
    expect(problems(mutate)).toEqual([expected]);
  });

  it.each([
    ["an EC2 service", (e: any) => Object.assign(e.services[1], { compute: "ec2", ec2: { instanceTypes: ["m7g.large"], architecture: "arm64", maxInstances: 2 } }), [
      `${STAGING}: services[1].compute: "ec2" is an ECS capacity; with compute "eks" EKS Auto Mode places the pods`,
      `${STAGING}: services[1].ec2: is ECS-only; with compute "eks" the apps stack sets probes, scaling and routes`,
    ]],
    ["ECS Exec", (e: any) => (e.services[0].enableExecuteCommand = true), [`${STAGING}: services[0].enableExecuteCommand: is ECS Exec; with compute "eks" use kubectl exec`]],
    ["a Fargate capacity split", (e: any) => (e.services[0].capacity = { spotWeight: 1 }), [`${STAGING}: services[0].capacity: is ECS-only; with compute "eks" the apps stack sets probes, scaling and routes`]],
    ["an ECS container health check", (e: any) => (e.services[1].containerHealthCheck = { command: ["CMD", "true"] }), [`${STAGING}: services[1].containerHealthCheck: is ECS-only; with compute "eks" the apps stack sets probes, scaling and routes`]],
    ["scheduled tasks", (e: any) => (e.scheduledTasks = [{ name: "report", command: ["x"], schedule: "rate(1 day)" }]), [`${STAGING}: scheduledTasks: scheduled tasks run on ECS only; with compute "eks" leave the list empty`]],
    ["the access host", (e: any) => (e.access = { enabled: true, allowedPrincipalArns: ["arn:aws:iam::555566667777:role/devs"] }), [`${STAGING}: access.enabled: the access host serves ECS workspaces; with compute "eks" reach the cluster through its endpoint`]],
    ["a domain", (e: any) => (e.domain = { name: "app.example.com", hostedZoneId: "Z123" }), [`${STAGING}: domain: with compute "eks" give the external gateway a certificate with loadBalancer.certificateArn`]],
    ["no WAF", (e: any) => (e.operations.waf = false), [`${STAGING}: operations.waf: with compute "eks" the external gateway's load balancer is always behind the WAF`]],
    ["public access CIDRs on a private endpoint", (e: any) => (e.eks.endpoint.publicAccess = false), [`${STAGING}: eks.endpoint.publicAccessCidrs: is for the public endpoint; publicAccess is false`]],
    ["a public endpoint without CIDRs", (e: any) => (e.eks.endpoint = { publicAccess: true }), [`${STAGING}: eks.endpoint.publicAccessCidrs: publicAccess needs the client networks allowed (EKS would open the endpoint to 0.0.0.0/0)`]],
    ["a Kubernetes version EKS does not run", (e: any) => (e.eks.version = "1.20"), [`${STAGING}: eks.version: "1.20" is not one of "1.29", "1.30", "1.31", "1.32", "1.33"`]],
    ["an admin that is not a principal ARN", (e: any) => (e.eks.admins = ["admins"]), [`${STAGING}: eks.admins[0]: must be an IAM principal ARN (arn:aws:iam::<account>:root, :user/<name> or :role/<name>)`]],
    ["a log type EKS does not have", (e: any) => (e.eks.controlPlaneLogTypes = ["api", "kubelet"]), [`${STAGING}: eks.controlPlaneLogTypes[1]: "kubelet" is not one of "api", "audit", "authenticator", "controllerManager", "scheduler"`]],
    ["an unknown eks field", (e: any) => (e.eks.nodeGroups = []), [`${STAGING}: eks: unknown field(s) "nodeGroups"`]],
    ["a highly available service with one replica", (e: any) => (e.services[0].minCount = 1), [`${STAGING}: services[0].minCount: highlyAvailable needs at least 2 replicas (minCount is 1)`]],
  ])("refuses on EKS %s, one line each", (_what, mutate, expected) => {
    expect(eksProblems(mutate)).toEqual(expected);
  });

  it("refuses a public endpoint open to 0.0.0.0/0 in production only", () => {
    const open = (stage: string) => eksProblems((e) => Object.assign(e, { stage, eks: { ...e.eks, endpoint: { publicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] } } }));
    expect(open("development")).toEqual([]);
    expect(open("production")).toContain(`${STAGING}: eks.endpoint.publicAccessCidrs[0]: production: the public endpoint cannot be open to 0.0.0.0/0`);
  });

  it("refuses a highly available ECS service with fewer than 2 tasks too", () => {
    expect(problems((e) => Object.assign(e.services[0], { highlyAvailable: true, minCount: 1 }))).toEqual([
      `${DEV}: services[0].minCount: highlyAvailable needs at least 2 replicas (minCount is 1)`,
    ]);
  });
});
