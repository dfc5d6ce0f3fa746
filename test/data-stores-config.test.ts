import { describe, expect, it } from "vitest";
import { checkEnvironment } from "../src/config/load";
import { dataApiSupportsEngine } from "../src/config/data-stores";
import { rawEnvironment } from "./helpers";

const DEV = "environments/dev.ts";
const PROD = "environments/prod.ts";

/** Validates a broken copy of an environment and returns the problem lines. */
function problems(mutate: (env: Record<string, any>) => void, name = "dev"): string[] {
  const data = rawEnvironment(name);
  mutate(data);
  return checkEnvironment({ file: `environments/${name}.ts`, data }).problems;
}

const carts = (e: any) => e.tables.find((t: any) => t.name === "carts");
const web = (e: any) => e.services.find((s: any) => s.name === "web");
const store = (e: any, name: string) => e.dataApi.stores.find((s: any) => s.name === name);

describe("data stores in the environment schema", () => {
  it("accepts the repository's tables, external services and data API", () => {
    expect(problems(() => undefined)).toEqual([]);
    expect(problems(() => undefined, "prod")).toEqual([]);
  });

  it.each([
    ["a key on an undeclared attribute", (e: any) => (carts(e).sortKey = "createdAt"), `${DEV}: tables[1].sortKey: "createdAt" is not a declared attribute (customerId, cartId, status, updatedAt)`],
    ["an index on an undeclared attribute", (e: any) => (carts(e).globalSecondaryIndexes[0].partitionKey = "state"), `${DEV}: tables[1].globalSecondaryIndexes[0].partitionKey: "state" is not a declared attribute (customerId, cartId, status, updatedAt)`],
    ["an attribute no key uses", (e: any) => (carts(e).attributes.total = "N"), `${DEV}: tables[1].attributes.total: is used by no key of the table or its indexes (DynamoDB declares key attributes only)`],
    ["a table name collision", (e: any) => e.tables.push({ ...e.tables[0] }), `${DEV}: tables[2].name: duplicate name "sessions"`],
    ["a table named like the state lock table", (e: any) => Object.assign(e.state, { lockTable: "acme-dev-sessions" }), `${DEV}: tables[0].name: "acme-dev-sessions" is the Terraform state lock table (state.lockTable)`],
    ["provisioned min above max", (e: any) => (carts(e).billing = { mode: "provisioned", read: { min: 10, max: 5 }, write: { min: 1, max: 5 } }), `${DEV}: tables[1].billing.read.min: min must not exceed max`],
    ["an unknown billing mode", (e: any) => (carts(e).billing = { mode: "reserved" }), expect.stringMatching(/^environments\/dev\.ts: tables\[1\]\.billing\.mode: /)],
    ["an http:// external URL", (e: any) => (e.externalServices[0].baseUrl = "http://api.payments.example.com"), `${DEV}: externalServices[0].baseUrl: must be an https:// URL (calls leave the VPC; plain HTTP would expose them)`],
    ["two external services of one name", (e: any) => e.externalServices.push({ ...e.externalServices[0] }), `${DEV}: externalServices[2].name: duplicate name "payments"`],
    ["a store naming an unknown table", (e: any) => (store(e, "carts").table = "baskets"), `${DEV}: dataApi.stores[1].table: "baskets" is not in tables (sessions, carts)`],
    ["a store naming an unknown external service", (e: any) => (store(e, "payments").service = "billing"), `${DEV}: dataApi.stores[3].service: "billing" is not in externalServices (payments, notifications)`],
    ["two stores of one name", (e: any) => (store(e, "documents").name = "carts"), `${DEV}: dataApi.stores[2].name: duplicate store name "carts"`],
    ["an aurora store on an engine without the Data API", (e: any) => (e.database.engineVersion = "15.2"), `${DEV}: dataApi.stores[0].kind: the RDS Data API needs Aurora PostgreSQL 13.11, 14.8, 15.3, 16.1, 17.4 or a later minor of that major (database.engineVersion is 15.2)`],
    ["the master credentials without a managed password", (e: any) => Object.assign(e, { dataPipeline: undefined, database: { ...e.database, passwordSource: "ssm" }, dataApi: { ...e.dataApi, stores: [{ name: "customers", kind: "aurora", table: "customers", credentials: "master" }] } }), `${DEV}: dataApi.stores[0].credentials: the master credentials are in Secrets Manager only with database.passwordSource "managed"`],
    ["a JWT issuer over http", (e: any) => (e.dataApi.authorization = { type: "jwt", issuer: "http://issuer.example.com", audiences: ["a"] }), `${DEV}: dataApi.authorization.issuer: must be an https:// URL`],
    ["a store timeout the API cannot wait for", (e: any) => (store(e, "carts").timeoutSeconds = 60), `${DEV}: dataApi.stores[1].timeoutSeconds: Number must be less than or equal to 29`],
    ["a service granted an unknown table", (e: any) => (web(e).tables = [{ table: "orders", access: "read" }]), `${DEV}: services[0].tables[0].table: "orders" is not in tables (sessions, carts)`],
    ["a service granted one table twice", (e: any) => (web(e).tables = [{ table: "carts", access: "read" }, { table: "carts", access: "read-write" }]), `${DEV}: services[0].tables[1].table: "carts" is granted twice`],
    ["an access level that is not one", (e: any) => (web(e).tables = [{ table: "carts", access: "admin" }]), `${DEV}: services[0].tables[0].access: "admin" is not one of "read", "read-write"`],
    ["a service calling an unknown external service", (e: any) => (web(e).externalServices = ["billing"]), `${DEV}: services[0].externalServices[0]: "billing" is not in externalServices (payments, notifications)`],
    ["a service setting the external URL itself", (e: any) => (web(e).environment.EXTERNAL_PAYMENTS_URL = "https://x.example.com"), `${DEV}: services[0].environment.EXTERNAL_PAYMENTS_URL: is set by the platform (the service calls external service "payments")`],
    ["a service calling a data API that does not exist", (e: any) => delete e.dataApi, `${DEV}: services[0].dataApi: there is no dataApi in this environment`],
  ])("refuses %s in one line", (_, mutate, line) => {
    expect(problems(mutate)).toEqual([line]);
  });

  it("keeps production tables' deletion protection on", () => {
    expect(problems((e) => (e.tables[0].deletionProtection = false), "prod")).toEqual([`${PROD}: tables[0].deletionProtection: production: table deletion protection must stay on`]);
    expect(problems((e) => (e.tables[0].deletionProtection = false))).toEqual([]);
  });

  it("knows which Aurora PostgreSQL versions the RDS Data API serves", () => {
    expect(["13.11", "14.8", "15.3", "16.1", "16.6", "17.4"].filter(dataApiSupportsEngine)).toEqual(["13.11", "14.8", "15.3", "16.1", "16.6", "17.4"]);
    expect(["13.9", "14.7", "15.2", "16.0", "17.2", "12.9"].filter(dataApiSupportsEngine)).toEqual([]);
  });
});
