/**
 * `npm run policy`: evaluates the policy pack over every stack and prints each rule with its pass,
 * fail and suppressed counts, then every suppression with its reason and every failure.
 * Exits 1 when a rule fails.
 */
import { environmentSources } from "../../environments";
import { buildApp, checkPolicies } from "../app";
import { POLICY_RULES, formatViolation } from "../aspects/policy";
import { loadEnvironments } from "../config/load";

const results = checkPolicies(buildApp(loadEnvironments(environmentSources)));
const rows = POLICY_RULES.map((rule) => {
  const mine = results.filter((r) => r.rule.id === rule.id);
  const count = (outcome: string) => mine.filter((r) => r.outcome === outcome).length;
  return { rule, pass: count("pass"), fail: count("fail"), suppressed: count("suppressed") };
});
const width = Math.max(...POLICY_RULES.map((r) => r.id.length));
console.log(`${"rule".padEnd(width)}  pass  fail  supp  description`);
for (const { rule, pass, fail, suppressed } of rows) {
  console.log(
    `${rule.id.padEnd(width)}  ${String(pass).padStart(4)}  ${String(fail).padStart(4)}  ${String(suppressed).padStart(4)}  ${rule.description}`,
  );
}
const suppressed = results.filter((r) => r.outcome === "suppressed");
if (suppressed.length > 0) {
  console.log("\nsuppressions:");
  for (const r of suppressed) {
    console.log(`  ${r.stackName}: ${r.resource.type}.${r.resource.name} [${r.rule.id}] ${r.detail}`);
  }
}
const failures = results.filter((r) => r.outcome === "fail");
if (failures.length > 0) {
  console.log("\nfailures:");
  failures.forEach((r) => console.log(`  ${formatViolation(r)}`));
}
const total = (k: "pass" | "fail" | "suppressed") => rows.reduce((n, r) => n + r[k], 0);
console.log(`\n${POLICY_RULES.length} rules: ${total("pass")} passed, ${total("fail")} failed, ${total("suppressed")} suppressed`);
process.exitCode = failures.length > 0 ? 1 : 0;
