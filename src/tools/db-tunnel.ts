/**
 * `npm run db:tunnel -- <workspace> [--run] [--start] [--writer] [--local-port N] [--mfa-serial ARN --mfa-code CODE]`:
 * developer access to a workspace's database through its access host (README "Developer access").
 * Without `--run` it prints the exact commands: assume the developer role (MFA), start the host if it
 * is stopped, find its instance and the cluster endpoint, open the Session Manager port forwarding,
 * and connect with psql using an IAM token. With `--run` it does the AWS calls itself, starts the
 * forwarding with the AWS CLI and the Session Manager plugin, and prints the psql command.
 */
import { spawn } from "node:child_process";
import { userInfo } from "node:os";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { Signer } from "@aws-sdk/rds-signer";
import { PORT_FORWARDING_DOCUMENT } from "../../modules/access-host/developer-role";
import { AURORA_POSTGRES_PORT } from "../../modules/aurora";
import { environmentSources } from "../../environments";
import { loadEnvironments } from "../config/load";
import type { EnvironmentConfig } from "../config/schema";
import { partitionOf } from "../lib/iam";
import { NAME_LIMITS, physicalName } from "../lib/naming";

/** Everything the commands need, derived offline from the environment file. */
export interface TunnelTarget {
  readonly workspace: string;
  readonly region: string;
  readonly roleArn: string;
  readonly sessionSeconds: number;
  readonly autoScalingGroupName: string;
  readonly clusterIdentifier: string;
  readonly databaseName: string;
  readonly databaseUser: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Connect to the writer endpoint instead of the reader endpoint. */
  readonly writer: boolean;
}

export interface TunnelOptions {
  readonly run: boolean;
  readonly start: boolean;
  readonly writer: boolean;
  readonly localPort: number;
  readonly mfaSerial?: string;
  readonly mfaCode?: string;
  /** Who runs the tunnel, in the role session name. @default the operating-system user */
  readonly user?: string;
}

/** Parses `<workspace> [flags]`; throws one-line errors. */
export function parseArguments(argv: readonly string[]): { workspace: string; options: TunnelOptions } {
  const positional: string[] = [];
  const options: { run: boolean; start: boolean; writer: boolean; localPort: number; mfaSerial?: string; mfaCode?: string } = {
    run: false,
    start: false,
    writer: false,
    localPort: 15432,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--run") options.run = true;
    else if (arg === "--start") options.start = true;
    else if (arg === "--writer") options.writer = true;
    else if (arg === "--local-port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error("--local-port must be a port from 1024 to 65535");
      options.localPort = port;
    } else if (arg === "--mfa-serial") options.mfaSerial = value();
    else if (arg === "--mfa-code") {
      const code = value();
      if (!/^\d{6}$/.test(code)) throw new Error("--mfa-code must be the 6 digits of your MFA device");
      options.mfaCode = code;
    } else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new Error("usage: npm run db:tunnel -- <workspace> [--run] [--start] [--writer] [--local-port N] [--mfa-serial ARN --mfa-code CODE]");
  if ((options.mfaSerial === undefined) !== (options.mfaCode === undefined)) throw new Error("--mfa-serial and --mfa-code go together");
  return { workspace: positional[0], options };
}

/** The names the workspace's stack gives the role, host group and cluster (the same `physicalName()` calls). */
export function tunnelTarget(config: EnvironmentConfig, options: Pick<TunnelOptions, "localPort" | "writer">): TunnelTarget {
  if (!config.access.enabled) {
    throw new Error(`${config.name}: access is not enabled (environments/${config.name}.ts: access.enabled)`);
  }
  const naming = { project: config.project, environment: config.name };
  return {
    workspace: config.name,
    region: config.region,
    roleArn: `arn:${partitionOf(config.region)}:iam::${config.accountId}:role/${physicalName(naming, "developer", { maxLength: NAME_LIMITS.iamRole })}`,
    sessionSeconds: config.access.maxSessionHours * 3600,
    autoScalingGroupName: physicalName(naming, "access-host"),
    clusterIdentifier: physicalName(naming, "db", { maxLength: NAME_LIMITS.dbIdentifier }),
    databaseName: config.database.databaseName,
    databaseUser: config.access.readOnlyDatabaseUser,
    remotePort: AURORA_POSTGRES_PORT,
    localPort: options.localPort,
    writer: options.writer,
  };
}

const quote = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

/** The port-forwarding parameters of `aws ssm start-session`. */
export function forwardingParameters(target: TunnelTarget, host: string): string {
  return JSON.stringify({ host: [host], portNumber: [String(target.remotePort)], localPortNumber: [String(target.localPort)] });
}

/** The psql connection string through the tunnel (TLS required; the certificate names the endpoint, not localhost). */
export function psqlConnection(target: TunnelTarget): string {
  return `host=localhost port=${target.localPort} dbname=${target.databaseName} user=${target.databaseUser} sslmode=require`;
}

/** Every command, in order, for a shell with the AWS CLI, the Session Manager plugin, jq and psql. */
export function tunnelCommands(target: TunnelTarget): string[] {
  const r = `--region ${target.region}`;
  const endpoint = target.writer ? "Endpoint" : "ReaderEndpoint";
  return [
    `# 1. Assume the developer role (MFA required; add --serial-number <your MFA device ARN> --token-code <code> as an IAM user)`,
    `creds=$(aws sts assume-role --role-arn ${target.roleArn} --role-session-name "$USER" --duration-seconds ${target.sessionSeconds} --output json)`,
    `export AWS_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId <<<"$creds") AWS_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey <<<"$creds") AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken <<<"$creds")`,
    `# 2. Start the access host if it is stopped (it stops again every evening), then find its instance`,
    `aws autoscaling set-desired-capacity --auto-scaling-group-name ${target.autoScalingGroupName} --desired-capacity 1 ${r}`,
    `# (a stopped host takes 2 to 3 minutes to come into service)`,
    `instance=""; until [ -n "$instance" ] && [ "$instance" != "None" ]; do instance=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${target.autoScalingGroupName} --query 'AutoScalingGroups[0].Instances[?LifecycleState==\`InService\`].InstanceId' --output text ${r}); [ -n "$instance" ] && [ "$instance" != "None" ] || sleep 15; done`,
    `# 3. The cluster's ${target.writer ? "writer" : "reader"} endpoint`,
    `host=$(aws rds describe-db-clusters --db-cluster-identifier ${target.clusterIdentifier} --query 'DBClusters[0].${endpoint}' --output text ${r})`,
    `# 4. Forward localhost:${target.localPort} to PostgreSQL through the host (leave it running)`,
    `aws ssm start-session --target "$instance" --document-name ${PORT_FORWARDING_DOCUMENT} --parameters '{"host":["'"$host"'"],"portNumber":["${target.remotePort}"],"localPortNumber":["${target.localPort}"]}' ${r}`,
    `# 5. In another shell with the same credentials: an IAM token (valid 15 minutes) as the password`,
    `PGPASSWORD="$(aws rds generate-db-auth-token --hostname "$host" --port ${target.remotePort} --username ${target.databaseUser} ${r})" psql ${quote(psqlConnection(target))}`,
  ];
}

/** `<user>-db-tunnel`, cut to the characters and 64-character length STS allows in a role session name. */
export function sessionName(user: string): string {
  const safe = user.replace(/[^\w+=,.@-]/g, "-") || "developer";
  return `${safe}-db-tunnel`.slice(-64);
}

/** Temporary credentials of the developer role. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** What `--run` resolves through the AWS APIs before it opens the tunnel. */
export interface ResolvedTunnel {
  readonly credentials: RoleCredentials;
  readonly instanceId: string;
  readonly host: string;
  readonly token: string;
}

export interface TunnelClients {
  readonly sts: STSClient;
  readonly autoscaling: (credentials: RoleCredentials) => AutoScalingClient;
  readonly rds: (credentials: RoleCredentials) => RDSClient;
  /** Pause between polls while the host starts. */
  readonly sleep: (ms: number) => Promise<void>;
}

export function defaultClients(region: string): TunnelClients {
  return {
    sts: new STSClient({ region }),
    autoscaling: (credentials) => new AutoScalingClient({ region, credentials }),
    rds: (credentials) => new RDSClient({ region, credentials }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/**
 * Assumes the developer role, finds (or with `start` starts and waits for) the host's in-service
 * instance, reads the endpoint, and signs an IAM authentication token for the read-only user.
 */
export async function resolveTunnel(target: TunnelTarget, options: TunnelOptions, clients: TunnelClients, maxPolls = 40): Promise<ResolvedTunnel> {
  const assumed = await clients.sts.send(
    new AssumeRoleCommand({
      RoleArn: target.roleArn,
      // Each developer's sessions carry their own name (CloudTrail, and Session Manager session ids start with it).
      RoleSessionName: sessionName(options.user ?? userInfo().username),
      DurationSeconds: target.sessionSeconds,
      ...(options.mfaSerial ? { SerialNumber: options.mfaSerial, TokenCode: options.mfaCode } : {}),
    }),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`AssumeRole of ${target.roleArn} returned no credentials`);
  const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };

  const autoscaling = clients.autoscaling(credentials);
  const inService = async () => {
    const groups = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
    const group = groups.AutoScalingGroups?.[0];
    if (!group) throw new Error(`no Auto Scaling group ${target.autoScalingGroupName}: is access enabled and applied in ${target.workspace}?`);
    return { group, instance: group.Instances?.find((i) => i.LifecycleState === "InService")?.InstanceId };
  };
  let { group, instance } = await inService();
  if (!instance) {
    if (!options.start) throw new Error(`the access host of ${target.workspace} is stopped; run again with --start`);
    if ((group.DesiredCapacity ?? 0) < 1) {
      await autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: target.autoScalingGroupName, DesiredCapacity: 1 }));
    }
    for (let poll = 0; !instance && poll < maxPolls; poll++) {
      await clients.sleep(15_000);
      ({ instance } = await inService());
    }
    if (!instance) throw new Error(`the access host of ${target.workspace} did not come into service; check the group's activity history`);
  }

  const clusters = await clients.rds(credentials).send(new DescribeDBClustersCommand({ DBClusterIdentifier: target.clusterIdentifier }));
  const cluster = clusters.DBClusters?.[0];
  const host = target.writer ? cluster?.Endpoint : cluster?.ReaderEndpoint;
  if (!host) throw new Error(`no endpoint for cluster ${target.clusterIdentifier}`);

  const token = await new Signer({
    hostname: host,
    port: target.remotePort,
    username: target.databaseUser,
    region: target.region,
    credentials,
  }).getAuthToken();
  return { credentials, instanceId: instance, host, token };
}

async function main(argv: readonly string[]): Promise<number> {
  const { workspace, options } = parseArguments(argv);
  const config = loadEnvironments(environmentSources).find((e) => e.name === workspace);
  if (!config) throw new Error(`no workspace "${workspace}" (environments/index.ts lists ${environmentSources.map((s) => s.file).join(", ")})`);
  const target = tunnelTarget(config, options);
  if (!options.run) {
    console.log(tunnelCommands(target).join("\n"));
    return 0;
  }
  const resolved = await resolveTunnel(target, options, defaultClients(target.region));
  console.log(`Forwarding localhost:${target.localPort} to ${resolved.host}:${target.remotePort} through ${resolved.instanceId}.`);
  console.log(`In another shell (the token is valid for 15 minutes):\n  PGPASSWORD=${quote(resolved.token)} psql ${quote(psqlConnection(target))}`);
  const { accessKeyId, secretAccessKey, sessionToken } = resolved.credentials;
  const child = spawn(
    "aws",
    ["ssm", "start-session", "--target", resolved.instanceId, "--document-name", PORT_FORWARDING_DOCUMENT, "--parameters", forwardingParameters(target, resolved.host), "--region", target.region],
    { stdio: "inherit", env: { ...process.env, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } },
  );
  return new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
