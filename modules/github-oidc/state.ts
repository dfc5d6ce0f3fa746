/** The CI roles' access to Terraform state: the state objects, S3 lock files and DynamoDB lock items. */
import type { PolicyStatement } from "../../src/lib/iam";
import type { GithubOidcWorkspace } from "./props";

export const s3Arn = (partition: string, bucket: string, key?: string) => `arn:${partition}:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;
export const tableArn = (partition: string, region: string, accountId: string, table: string) =>
  `arn:${partition}:dynamodb:${region}:${accountId}:table/${table}`;
export const unique = <T>(items: T[]) => [...new Set(items)];
/** S3-native locking (`use_lockfile`) writes the lock next to the state as `<key>.tflock`. */
const lockKey = (key: string) => `${key}.tflock`;
/** The state objects of a workspace's stacks, in the order of `stateKeys`. */
const stateObjects = (workspace: GithubOidcWorkspace, partition: string) => workspace.stateKeys.map((key) => s3Arn(partition, workspace.stateBucket, key));
/** The S3 lock files next to them. */
const lockFiles = (workspace: GithubOidcWorkspace, partition: string) =>
  workspace.stateKeys.map((key) => s3Arn(partition, workspace.stateBucket, lockKey(key)));
/** One resource as a string, several as a list: a workspace with one stack keeps the policy it always had. */
const oneOrMany = (resources: string[]): string | string[] => (resources.length === 1 ? resources[0] : resources);

/** s3:ListBucket per state bucket, limited by `s3:prefix` to the workspaces' state keys. */
function listStatements(workspaces: readonly GithubOidcWorkspace[], partition: string): PolicyStatement[] {
  const buckets = unique(workspaces.map((w) => w.stateBucket));
  return buckets.map((bucket, i) => ({
    Sid: buckets.length === 1 ? "ListState" : `ListState${i}`,
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: s3Arn(partition, bucket),
    Condition: {
      StringLike: { "s3:prefix": workspaces.filter((w) => w.stateBucket === bucket).flatMap((w) => w.stateKeys.map((key) => `${key}*`)) },
    },
  }));
}

/** The `LockID` of the lock of one state key in the lock table: `<bucket>/<key>` (default: the workspace stack's key). */
export function lockItemKey(workspace: GithubOidcWorkspace, key: string = workspace.stateKeys[0]): string {
  return `${workspace.stateBucket}/${key}`;
}

/** The `LockID`s of a workspace's locks, one per state key. */
export function lockIds(workspace: GithubOidcWorkspace): string[] {
  return workspace.stateKeys.map((key) => lockItemKey(workspace, key));
}

/**
 * The items Terraform's S3 backend keeps in the lock table for a workspace, per state key: the lock
 * ({@link lockItemKey}) and the digest of the state it last wrote, `<bucket>/<key>-md5`.
 */
export function lockItemKeys(workspace: GithubOidcWorkspace): string[] {
  return lockIds(workspace).flatMap((id) => [id, `${id}-md5`]);
}

/** Item actions, each of which names the partition keys (`dynamodb:LeadingKeys`) it touches. */
const LOCK_ITEM_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
];
/** Table-wide item reads and writes that name no partition key, so no LeadingKeys condition can hold them. */
const KEYLESS_ITEM_ACTIONS = ["dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:PartiQLSelect", "dynamodb:PartiQLUpdate", "dynamodb:Scan"];

/**
 * The lock table, limited to the workspaces' own items: `dynamodb:LeadingKeys` is the partition key
 * (`LockID`) of every item a GetItem, PutItem or DeleteItem touches. Reads cover the lock and the
 * digest; `writableKeys` are the items the role may put and delete (the plan role: the locks only,
 * it never writes state, so never a digest). DescribeTable reads no item and gets its own statement,
 * so the item statements never hold for a request without the key.
 */
function lockTableStatements(
  workspaces: readonly GithubOidcWorkspace[],
  writableKeys: readonly string[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const tables = unique(workspaces.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  return [
    { Sid: "LockTable", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: tables },
    {
      Sid: "ReadLockItems",
      Effect: "Allow",
      Action: "dynamodb:GetItem",
      Resource: tables,
      Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": workspaces.flatMap(lockItemKeys) } },
    },
    {
      Sid: "WriteLockItems",
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
      Resource: tables,
      Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [...writableKeys] } },
    },
  ];
}

/** Plan role: read every workspace's state and lock items; write and delete only the lock files and locks. */
export function planStateStatements(
  workspaces: readonly GithubOidcWorkspace[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const keys = workspaces.flatMap((w) => stateObjects(w, partition));
  const locks = workspaces.flatMap((w) => lockFiles(w, partition));
  return [
    ...listStatements(workspaces, partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [...keys, ...locks] },
    { Sid: "LockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: locks },
    ...lockTableStatements(workspaces, workspaces.flatMap(lockIds), partition, region, accountId),
  ];
}

/**
 * Apply role of one workspace: read and write its own state, take and release its own lock (each of
 * its state keys: the workspace stack's and, on EKS, the apps stack's); and,
 * because the deploy policies may grant S3 and DynamoDB broadly, explicit denies on the other
 * workspaces' state, on deleting state versions, and on reconfiguring the state bucket and lock table.
 */
export function applyStateStatements(
  workspace: GithubOidcWorkspace,
  all: readonly GithubOidcWorkspace[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const keys = stateObjects(workspace, partition);
  const locks = lockFiles(workspace, partition);
  const keysAndLocks = keys.flatMap((key, i) => [key, locks[i]]);
  const others = all.filter((w) => w.name !== workspace.name);
  const buckets = unique(all.map((w) => w.stateBucket));
  const lockTables = unique(all.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  const statements: PolicyStatement[] = [
    ...listStatements([workspace], partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: keysAndLocks },
    { Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: keysAndLocks },
    { Sid: "ReleaseLock", Effect: "Allow", Action: "s3:DeleteObject", Resource: oneOrMany(locks) },
    ...lockTableStatements([workspace], lockItemKeys(workspace), partition, region, accountId),
  ];
  if (others.length > 0) {
    statements.push({
      Sid: "DenyOtherWorkspacesState",
      Effect: "Deny",
      // A deny: every S3 action on the other workspaces' state objects and lock files.
      Action: "s3:*",
      Resource: others.flatMap((w) => {
        const otherLocks = lockFiles(w, partition);
        return stateObjects(w, partition).flatMap((key, i) => [key, otherLocks[i]]);
      }),
    });
  }
  statements.push(
    {
      Sid: "DenyStateDeletion",
      Effect: "Deny",
      // Terraform never deletes its state object, nor any object version (versioning is the recovery path).
      Action: "s3:DeleteObject",
      Resource: oneOrMany(keys),
    },
    {
      Sid: "DenyStateVersionDeletion",
      Effect: "Deny",
      Action: "s3:DeleteObjectVersion",
      Resource: buckets.map((b) => s3Arn(partition, b, "*")),
    },
    {
      Sid: "DenyStateBucketChanges",
      Effect: "Deny",
      Action: [
        "s3:DeleteBucket",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
      ],
      Resource: buckets.map((b) => s3Arn(partition, b)),
    },
    {
      Sid: "DenyOtherLockItems",
      Effect: "Deny",
      // The deploy policies (PowerUserAccess) allow every DynamoDB action: any item other than this
      // workspace's lock and digest is out of reach, whatever they grant. A request without the key
      // (DescribeTable) is not matched by ForAnyValue.
      Action: LOCK_ITEM_ACTIONS,
      Resource: lockTables,
      Condition: { "ForAnyValue:StringNotEquals": { "dynamodb:LeadingKeys": lockItemKeys(workspace) } },
    },
    {
      Sid: "DenyKeylessLockTableAccess",
      Effect: "Deny",
      Action: KEYLESS_ITEM_ACTIONS,
      Resource: lockTables,
    },
    {
      Sid: "DenyLockTableChanges",
      Effect: "Deny",
      Action: ["dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"],
      Resource: lockTables,
    },
  );
  return statements;
}
