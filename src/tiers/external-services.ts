import { ExternalServices, type BuiltExternalService } from "../../modules/external-services";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";

/** The config slice the external-services tier reads. */
export interface ExternalServicesTierProps {
  /** `externalServices`: base URL, timeout and API key of each external service. */
  readonly externalServices: EnvironmentConfig["externalServices"];
}

const OWNER = "ExternalServicesTier";

/**
 * External services: an empty Secrets Manager secret per external service that needs an API key
 * (modules/external-services), its value put out of band. The services tier injects URL and key into
 * the services that call them; the data-API tier into `http` stores. Registers nothing (the callers'
 * alarms watch the calls). Outputs: `external_services`.
 */
export class ExternalServicesTier {
  readonly externalServices?: ExternalServices;

  constructor(ctx: TierContext, props: ExternalServicesTierProps) {
    if (props.externalServices.length === 0) return;
    this.externalServices = new ExternalServices(ctx.scope, "external-services", {
      naming: ctx.naming,
      services: props.externalServices,
      // A development workspace is disposable: its secrets go at once.
      recoveryWindowDays: ctx.disposable ? 0 : 30,
    });
    ctx.output(
      OWNER,
      "external_services",
      Object.fromEntries(
        [...this.externalServices.services].map(([name, s]) => [name, { base_url: s.spec.baseUrl, ...(s.secretArn ? { api_key_secret_arn: s.secretArn } : {}) }]),
      ),
      "External services by name: base URL and the secret to put the API key in (README \"External services\")",
    );
  }

  /** The external service configured as `name`; the schema refuses references to unknown ones. */
  service(name: string): BuiltExternalService {
    const service = this.externalServices?.services.get(name);
    if (!service) throw new Error(`${OWNER}: "${name}" is not in externalServices (the schema refuses unknown services)`);
    return service;
  }
}
