import { describe, expect, it } from "vitest";
import { environmentSources } from "../environments";
import { checkEnvironment, loadEnvironments } from "../src/config/load";
import { globalDatabaseVersionProblem } from "../src/config/disaster-recovery";
import { rawEnvironment } from "./helpers";

/** Validates a broken copy of an environment file and returns the problem lines. */
function problems(name: "dev" | "prod", mutate: (env: Record<string, any>) => void): string[] {
  const data = rawEnvironment(name);
  mutate(data);
  return checkEnvironment({ file: `environments/${name}.ts`, data }).problems;
}

describe("access and disasterRecovery config", () => {
  it("dev enables the access host, prod leaves it off and has DR in backup-copy mode", () => {
    const [dev, prod] = loadEnvironments(environmentSources);
    expect(dev.access).toMatchObject({ enabled: true, instanceType: "t4g.nano", idleSessionTimeoutMinutes: 20, readOnlyDatabaseUser: "app_readonly" });
    expect(prod.access.enabled).toBe(false);
    expect(prod.disasterRecovery).toMatchObject({ region: "us-west-2", mode: "backup-copy", copyRetentionDays: 35 });
    expect(dev.disasterRecovery).toBeUndefined();
  });

  it.each<[string, "dev" | "prod", (e: any) => unknown, string]>([
    ["the DR region equal to the primary", "prod", (e: any) => (e.disasterRecovery.region = "us-east-1"),
      "environments/prod.ts: disasterRecovery.region: is the workspace's own region (us-east-1); disaster recovery needs a second region"],
    ["a global database on an engine version it does not support", "prod", (e: any) => Object.assign(e, {
      database: { ...e.database, engineVersion: "15.1", passwordSource: "ssm" },
      dataPipeline: { ...e.dataPipeline, enabled: false },
      // The RDS Data API needs 15.3 on that major: no aurora store here.
      dataApi: { ...e.dataApi, stores: e.dataApi.stores.filter((s: any) => s.kind !== "aurora") },
      disasterRecovery: { region: "us-west-2", mode: "global-database", secondaryCidr: "10.30.0.0/16", secondaryAvailabilityZones: ["usw2-az1", "usw2-az2"] },
    }), 'environments/prod.ts: disasterRecovery.mode: "global-database": Aurora Global Database needs Aurora PostgreSQL 15.2 or later (engineVersion is 15.1)'],
    ["a global database with RDS-managed passwords", "prod", (e: any) => (e.disasterRecovery = { region: "us-west-2", mode: "global-database", secondaryCidr: "10.30.0.0/16", secondaryAvailabilityZones: ["usw2-az1", "usw2-az2"] }),
      'environments/prod.ts: disasterRecovery.mode: "global-database": RDS-managed master passwords are not supported in a global database; set database.passwordSource "ssm"'],
    ["backup-copy without the backup plan", "dev", (e: any) => (e.disasterRecovery = { region: "us-west-2" }),
      'environments/dev.ts: disasterRecovery.mode: "backup-copy" copies the AWS Backup plan\'s recovery points; turn operations.backup on'],
    ["both the DR vault and an external copy vault", "prod", (e: any) => (e.operations.backupCopyToVaultArn = "arn:aws:backup:us-west-2:444455556666:backup-vault:other"),
      "environments/prod.ts: disasterRecovery.region: set either disasterRecovery (the platform creates the DR vault) or operations.backupCopyToVaultArn, not both"],
    ["replicating a bucket without the pipeline", "prod", (e: any) => (e.dataPipeline.enabled = false),
      "environments/prod.ts: disasterRecovery.replicateBuckets: the landing and artifacts buckets belong to the data pipeline, which is not enabled"],
    ["access enabled without any allowed principal", "dev", (e: any) => (e.access.allowedPrincipalArns = []),
      "environments/dev.ts: access.allowedPrincipalArns: access is enabled but no principal may assume the developer role; list the principal ARNs"],
    ["a wildcard principal", "dev", (e: any) => (e.access.allowedPrincipalArns = ["arn:aws:iam::111122223333:role/*"]),
      "environments/dev.ts: access.allowedPrincipalArns[0]: wildcards are refused: name each principal ARN in full"],
    ["a bare '*' principal", "dev", (e: any) => (e.access.allowedPrincipalArns = ["*"]),
      "environments/dev.ts: access.allowedPrincipalArns[0]: wildcards are refused: name each principal ARN in full"],
    ["an x86 access host", "dev", (e: any) => (e.access.instanceType = "t3.micro"),
      "environments/dev.ts: access.instanceType: must be a Graviton (arm64) instance type such as t4g.nano or m7g.medium"],
    ["production sessions longer than an hour", "prod", (e: any) => (e.access = { enabled: true, allowedPrincipalArns: ["arn:aws:iam::444455556666:role/oncall"], maxSessionHours: 4 }),
      "environments/prod.ts: access.maxSessionHours: production: developer sessions last at most 1 hour (got 4)"],
  ])("refuses %s with one line", (_, name, mutate, line) => {
    expect(problems(name, mutate)).toEqual([line]);
  });

  it("knows the first minor release Aurora Global Database supports per major version", () => {
    expect(globalDatabaseVersionProblem("16.1")).toBeUndefined();
    expect(globalDatabaseVersionProblem("16.6")).toBeUndefined();
    expect(globalDatabaseVersionProblem("13.3")).toMatch(/13\.4 or later/);
    expect(globalDatabaseVersionProblem("17.2")).toMatch(/17\.4 or later/);
  });
});
