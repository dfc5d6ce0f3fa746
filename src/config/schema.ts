import { z } from "zod";
import { parseCidr } from "../lib/cidr";

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The most availability zones the subnet layout reserves room for (see modules/vpc). */
export const MAX_AZS = 4;

const logRetentionDays = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})`,
  });

const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region name such as us-east-1");

const s3BucketName = z
  .string()
  .min(3, "S3 bucket names have 3 to 63 characters")
  .max(63, "S3 bucket names have 3 to 63 characters")
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "S3 bucket names use lower-case letters, digits, dots and hyphens")
  .refine((n) => !n.includes(".."), "S3 bucket names cannot contain two adjacent dots")
  .refine((n) => !/^\d+\.\d+\.\d+\.\d+$/.test(n), "S3 bucket names cannot look like an IP address");

const dynamodbTableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, "DynamoDB table names have 3 to 255 letters, digits, '_', '-' or '.'");

/** Lower-case identifier used inside physical names. */
const identifier = (what: string, max: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`),
      `${what} must start with a letter and use lower-case letters, digits and hyphens (at most ${max} characters)`,
    )
    .refine((s) => !s.endsWith("-") && !s.includes("--"), `${what} cannot end with or repeat hyphens`);

const RESERVED_TAG_KEYS = ["Project", "Environment", "ManagedBy"];

const tagKey = z
  .string()
  .min(1)
  .max(128, "tag keys have at most 128 characters")
  .refine((k) => !k.toLowerCase().startsWith("aws:"), "tag keys cannot start with 'aws:'")
  .refine((k) => !RESERVED_TAG_KEYS.includes(k), `${RESERVED_TAG_KEYS.join(", ")} are set by the platform`);

const tags = z
  .object({
    Owner: z.string().min(1, "every workspace names an owner for cost allocation").max(256),
    CostCenter: z.string().min(1, "every workspace names a cost centre for cost allocation").max(256),
  })
  .catchall(z.string().max(256, "tag values have at most 256 characters"))
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      const parsed = tagKey.safeParse(key);
      if (!parsed.success) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: parsed.error.issues[0].message });
      }
    }
  });

const cidrBlock = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
  } else if (parsed.prefix < 16 || parsed.prefix > 24) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `prefix /${parsed.prefix} is outside the /16-/24 range a VPC may use`,
    });
  }
});

const ecrRepository = z
  .object({
    /** Short repository name; the physical name is `<project>-<env>-<name>`. */
    name: identifier("repository name", 40),
    /** Tagged images to keep; older ones expire. */
    keepLastTagged: z.number().int().min(1).max(1000).default(30),
    /** Days after which untagged images expire. */
    untaggedExpiryDays: z.number().int().min(1).max(365).default(7),
  })
  .strict();

export const environmentSchema = z
  .object({
    /** Project name: the first part of every physical name. */
    project: identifier("project", 20),
    /** Workspace name: the second part of every physical name and the state key's folder. */
    name: identifier("environment name", 12),
    /** The AWS account this workspace deploys to; the provider refuses any other account. */
    accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
    region: regionName,
    /** Explicit availability zones (no API lookup, so plans work offline). */
    availabilityZones: z
      .array(z.string())
      .min(2, "at least 2 availability zones are needed for high availability")
      .max(MAX_AZS, `at most ${MAX_AZS} availability zones fit the subnet layout`),
    /** Cost-allocation tags added to every resource through the provider's default_tags. */
    tags,
    state: z
      .object({
        /** S3 bucket holding Terraform state (created by the bootstrap stack). */
        bucket: s3BucketName,
        /** DynamoDB table for state locking (created by the bootstrap stack). */
        lockTable: dynamodbTableName,
        /** Region of the state bucket and lock table. @default the workspace's region */
        region: regionName.optional(),
      })
      .strict(),
    network: z
      .object({
        cidr: cidrBlock,
        /** `single`: one NAT gateway for all AZs (cheaper). `per-az`: one per AZ (survives an AZ outage). */
        natStrategy: z.enum(["single", "per-az"]),
        flowLogRetentionDays: logRetentionDays.default(90),
      })
      .strict(),
    ecr: z
      .object({
        repositories: z.array(ecrRepository).min(1, "at least one repository is needed for the application image"),
      })
      .strict(),
  })
  .strict()
  .superRefine((env, ctx) => {
    const seenAz = new Set<string>();
    const regionValid = regionName.safeParse(env.region).success;
    env.availabilityZones.forEach((az, i) => {
      // A zone is its region's name followed by one letter, e.g. us-east-1a.
      if (regionValid && (!az.startsWith(env.region) || !/^[a-z]$/.test(az.slice(env.region.length)))) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["availabilityZones", i],
          message: `"${az}" is not an availability zone of region ${env.region}`,
        });
      }
      if (seenAz.has(az)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["availabilityZones", i], message: `"${az}" is listed twice` });
      }
      seenAz.add(az);
    });
    const seenRepo = new Set<string>();
    env.ecr.repositories.forEach((repo, i) => {
      if (seenRepo.has(repo.name)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["ecr", "repositories", i, "name"],
          message: `duplicate repository name "${repo.name}"`,
        });
      }
      seenRepo.add(repo.name);
    });
  })
  .transform((env) => ({ ...env, state: { ...env.state, region: env.state.region ?? env.region } }));

/** What an environment file declares (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** A validated environment with every default filled in. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
