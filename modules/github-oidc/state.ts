/** The CI roles' access to Terraform state: the state objects, S3 lock files and DynamoDB lock items. */
import type { PolicyStatement } from "../../src/lib/iam";
import type { GithubOidcWorkspace } from "./props";

export const s3Arn = (partition: string, bucket: string, key?: string) => `arn:${partition}:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;
export const tableArn = (partition: string, region: string, accountId: string, table: string) =>
  `arn:${partition}:dynamodb:${region}:${accountId}:table/${table}`;
export const unique = <T>(items: T[]) => [...new Set(items)];
/** S3-native locking (`use_lockfile`) writes the lock next to the state as `<key>.tflock`. */
const lockKey = (key: string) => `${key}.tflock`;

/** s3:ListBucket per state bucket, limited by `s3:prefix` to the workspaces' state keys. */
function listStatements(workspaces: readonly GithubOidcWorkspace[], partition: string): PolicyStatement[] {
  const buckets = unique(workspaces.map((w) => w.stateBucket));
  return buckets.map((bucket, i) => ({
    Sid: buckets.length === 1 ? "ListState" : `ListState${i}`,
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: s3Arn(partition, bucket),
    Condition: {
      StringLike: { "s3:prefix": workspaces.filter((w) => w.stateBucket === bucket).map((w) => `${w.stateKey}*`) },
    },
  }));
}

/** The `LockID` of a workspace's lock in the lock table: `<bucket>/<key>`. */
export function lockItemKey(workspace: GithubOidcWorkspace): string {
  return `${workspace.stateBucket}/${workspace.stateKey}`;
}

/**
 * The items Terraform's S3 backend keeps in the lock table for a workspace: the lock
 * ({@link lockItemKey}) and the digest of the state it last wrote, `<bucket>/<key>-md5`.
 */
export function lockItemKeys(workspace: GithubOidcWorkspace): string[] {
  return [lockItemKey(workspace), `${lockItemKey(workspace)}-md5`];
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
  const keys = workspaces.map((w) => s3Arn(partition, w.stateBucket, w.stateKey));
  const locks = workspaces.map((w) => s3Arn(partition, w.stateBucket, lockKey(w.stateKey)));
  return [
    ...listStatements(workspaces, partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [...keys, ...locks] },
    { Sid: "LockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: locks },
    ...lockTableStatements(workspaces, workspaces.map(lockItemKey), partition, region, accountId),
  ];
}

/**
 * Apply role of one workspace: read and write its own state, take and release its own lock; and,
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
  const key = s3Arn(partition, workspace.stateBucket, workspace.stateKey);
  const lock = s3Arn(partition, workspace.stateBucket, lockKey(workspace.stateKey));
  const others = all.filter((w) => w.name !== workspace.name);
  const buckets = unique(all.map((w) => w.stateBucket));
  const lockTables = unique(all.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  const statements: PolicyStatement[] = [
    ...listStatements([workspace], partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [key, lock] },
    { Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: [key, lock] },
    { Sid: "ReleaseLock", Effect: "Allow", Action: "s3:DeleteObject", Resource: lock },
    ...lockTableStatements([workspace], lockItemKeys(workspace), partition, region, accountId),
  ];
  if (others.length > 0) {
    statements.push({
      Sid: "DenyOtherWorkspacesState",
      Effect: "Deny",
      // A deny: every S3 action on the other workspaces' state objects and lock files.
      Action: "s3:*",
      Resource: others.flatMap((w) => [s3Arn(partition, w.stateBucket, w.stateKey), s3Arn(partition, w.stateBucket, lockKey(w.stateKey))]),
    });
  }
  statements.push(
    {
      Sid: "DenyStateDeletion",
      Effect: "Deny",
      // Terraform never deletes its state object, nor any object version (versioning is the recovery path).
      Action: "s3:DeleteObject",
      Resource: key,
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
