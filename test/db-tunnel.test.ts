import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { sessionName, parseArguments, resolveTunnel, tunnelCommands, tunnelTarget, type TunnelClients, type TunnelOptions } from "../src/tools/db-tunnel";
import { environments } from "./helpers";

const dev = environments().find((e) => e.name === "dev")!;
const target = tunnelTarget(dev, { localPort: 15432, writer: false });
const options: TunnelOptions = { run: true, start: false, writer: false, localPort: 15432, user: "alice" };

const sts = mockClient(STSClient);
const autoscaling = mockClient(AutoScalingClient);
const rds = mockClient(RDSClient);
const clients = (sleeps: number[] = []): TunnelClients => ({
  sts: new STSClient({ region: "us-east-1" }),
  autoscaling: (credentials) => new AutoScalingClient({ region: "us-east-1", credentials }),
  rds: (credentials) => new RDSClient({ region: "us-east-1", credentials }),
  sleep: async (ms) => void sleeps.push(ms),
});
const group = (instances: Array<{ InstanceId: string; LifecycleState: string }>, desired: number) => ({
  AutoScalingGroups: [{ AutoScalingGroupName: "acme-dev-access-host", DesiredCapacity: desired, MinSize: 0, MaxSize: 1, Instances: instances as never, AvailabilityZones: [], DefaultCooldown: 300, HealthCheckType: "EC2", CreatedTime: new Date(0) }],
});

beforeEach(() => {
  sts.reset();
  autoscaling.reset();
  rds.reset();
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Expiration: new Date(0) } });
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Endpoint: "writer.cluster-x.us-east-1.rds.amazonaws.com", ReaderEndpoint: "reader.cluster-ro-x.us-east-1.rds.amazonaws.com" }] });
});

describe("db:tunnel", () => {
  it("derives the role, host group and cluster the workspace stack names, from the environment file", () => {
    expect(target).toMatchObject({
      roleArn: "arn:aws:iam::111122223333:role/acme-dev-developer",
      autoScalingGroupName: "acme-dev-access-host",
      clusterIdentifier: "acme-dev-db",
      databaseUser: "app_readonly",
      databaseName: "app",
      sessionSeconds: 3600,
      remotePort: 5432,
    });
    const prod = environments().find((e) => e.name === "prod")!;
    expect(() => tunnelTarget(prod, { localPort: 15432, writer: false })).toThrow("prod: access is not enabled (environments/prod.ts: access.enabled)");
  });

  it("prints the exact commands: assume, start, forward with the port-forwarding document, psql with an IAM token", () => {
    const commands = tunnelCommands(target).join("\n");
    expect(commands).toContain("aws sts assume-role --role-arn arn:aws:iam::111122223333:role/acme-dev-developer");
    expect(commands).toContain("aws autoscaling set-desired-capacity --auto-scaling-group-name acme-dev-access-host --desired-capacity 1 --region us-east-1");
    expect(commands).toContain("--document-name AWS-StartPortForwardingSessionToRemoteHost");
    expect(commands).toContain(`"portNumber":["5432"],"localPortNumber":["15432"]`);
    expect(commands).toContain("--query 'DBClusters[0].ReaderEndpoint'");
    expect(commands).toContain("aws rds generate-db-auth-token --hostname \"$host\" --port 5432 --username app_readonly --region us-east-1");
    expect(commands).toContain("psql 'host=localhost port=15432 dbname=app user=app_readonly sslmode=require'");
  });

  it("names each developer's role session after them, within what STS accepts", () => {
    expect(sessionName("alice")).toBe("alice-db-tunnel");
    expect(sessionName("Jane Doe (ops)")).toBe("Jane-Doe--ops--db-tunnel");
    expect(sessionName("x".repeat(80))).toHaveLength(64);
    expect(sessionName("")).toBe("developer-db-tunnel");
  });

  it("waits in the printed commands for a started host to come into service", () => {
    const commands = tunnelCommands(target).join("\n");
    expect(commands).toContain('until [ -n "$instance" ] && [ "$instance" != "None" ]; do instance=$(aws autoscaling describe-auto-scaling-groups');
    expect(commands).toContain("sleep 15; done");
  });

  it("parses its arguments and refuses bad ones with one line", () => {
    expect(parseArguments(["dev", "--run", "--start", "--local-port", "6543"])).toEqual({ workspace: "dev", options: { run: true, start: true, writer: false, localPort: 6543 } });
    expect(() => parseArguments([])).toThrow(/^usage: npm run db:tunnel/);
    expect(() => parseArguments(["dev", "--local-port", "80"])).toThrow("--local-port must be a port from 1024 to 65535");
    expect(() => parseArguments(["dev", "--mfa-serial", "arn:aws:iam::1:mfa/me"])).toThrow("--mfa-serial and --mfa-code go together");
    expect(() => parseArguments(["dev", "--shell"])).toThrow("unknown option --shell");
  });

  it("assumes the role with MFA, finds the running host and the reader endpoint, and signs a token for the read-only user", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves(group([{ InstanceId: "i-0abc", LifecycleState: "InService" }], 1));
    const resolved = await resolveTunnel(target, { ...options, mfaSerial: "arn:aws:iam::111122223333:mfa/dev", mfaCode: "123456" }, clients());
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
      RoleArn: "arn:aws:iam::111122223333:role/acme-dev-developer",
      RoleSessionName: "alice-db-tunnel",
      DurationSeconds: 3600,
      SerialNumber: "arn:aws:iam::111122223333:mfa/dev",
      TokenCode: "123456",
    });
    expect(autoscaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
    expect(rds.commandCalls(DescribeDBClustersCommand)[0].args[0].input).toEqual({ DBClusterIdentifier: "acme-dev-db" });
    expect(resolved.instanceId).toBe("i-0abc");
    expect(resolved.host).toBe("reader.cluster-ro-x.us-east-1.rds.amazonaws.com");
    // An IAM authentication token is a presigned rds-db:connect URL for that host, port and user.
    expect(resolved.token).toMatch(/^reader\.cluster-ro-x\.us-east-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app_readonly&/);
    expect(resolved.token).toContain("X-Amz-Credential=ASIAEXAMPLE");
  });

  it("refuses a stopped host without --start, and with --start raises the desired capacity and waits for an instance", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves(group([], 0));
    await expect(resolveTunnel(target, options, clients())).rejects.toThrow("the access host of dev is stopped; run again with --start");

    autoscaling.reset();
    autoscaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce(group([], 0))
      .resolvesOnce(group([{ InstanceId: "i-0new", LifecycleState: "Pending" }], 1))
      .resolves(group([{ InstanceId: "i-0new", LifecycleState: "InService" }], 1));
    const sleeps: number[] = [];
    const resolved = await resolveTunnel(target, { ...options, start: true }, clients(sleeps));
    expect(autoscaling.commandCalls(SetDesiredCapacityCommand)[0].args[0].input).toEqual({ AutoScalingGroupName: "acme-dev-access-host", DesiredCapacity: 1 });
    expect(resolved.instanceId).toBe("i-0new");
    expect(sleeps).toEqual([15_000, 15_000]);
  });

  it("gives up when the host never comes into service", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves(group([], 1));
    await expect(resolveTunnel(target, { ...options, start: true }, clients(), 3)).rejects.toThrow("did not come into service");
    expect(autoscaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
  });
});
