import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Construct } from "constructs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** One external service the application calls over HTTPS. */
export interface ExternalService {
  /** Short name: secret `<project>-<env>-external-<name>`. */
  readonly name: string;
  /** https:// base URL. */
  readonly baseUrl: string;
  /** Timeout of one call, milliseconds. */
  readonly timeoutMs: number;
  /** The service needs an API key (an empty secret is created for it). */
  readonly apiKey: boolean;
  /** Header carrying the key. */
  readonly apiKeyHeader: string;
}

export interface ExternalServicesProps {
  readonly naming: NameContext;
  /** The services; names unique. */
  readonly services: readonly ExternalService[];
  /** Days a deleted secret can still be restored (7-30; 0 deletes at once). @default 30 */
  readonly recoveryWindowDays?: number;
}

/** What the platform holds for one external service. */
export interface BuiltExternalService {
  readonly spec: ExternalService;
  /** The secret holding its API key (value put out of band). @default none (no key) */
  readonly secret?: SecretsmanagerSecret;
  readonly secretArn?: string;
}

function fail(message: string): never {
  throw new Error(`ExternalServices: ${message}`);
}

/**
 * The external HTTPS services the application calls: for each one that needs an API key, an empty
 * Secrets Manager secret (AWS-managed key) whose value is put out of band with
 * `aws secretsmanager put-secret-value`, so no key is ever in the configuration or the state. Who
 * may read a secret is decided by the tiers that inject it (ECS execution roles, data-API functions).
 */
export class ExternalServices extends Construct {
  /** Service name -> its secret, in props order. */
  readonly services: ReadonlyMap<string, BuiltExternalService>;

  constructor(scope: Construct, id: string, props: ExternalServicesProps) {
    super(scope, id);
    const window = props.recoveryWindowDays ?? 30;
    if (window !== 0 && (window < 7 || window > 30)) fail(`recoveryWindowDays must be 0 or 7-30, got ${window}`);
    const built = new Map<string, BuiltExternalService>();
    for (const spec of props.services) {
      if (built.has(spec.name)) fail(`two services are named "${spec.name}"`);
      if (!spec.baseUrl.startsWith("https://")) fail(`${spec.name}: baseUrl must be https://, got ${spec.baseUrl}`);
      if (!spec.apiKey) {
        built.set(spec.name, { spec });
        continue;
      }
      const secret = new SecretsmanagerSecret(this, `${spec.name}-api-key`, {
        name: physicalName(props.naming, `external-${spec.name}`, { maxLength: NAME_LIMITS.secretsManagerSecret }),
        description: `API key of ${spec.baseUrl} (header ${spec.apiKeyHeader}); the value is put out of band`,
        recoveryWindowInDays: window,
      });
      built.set(spec.name, { spec, secret, secretArn: secret.arn });
    }
    this.services = built;
  }
}
