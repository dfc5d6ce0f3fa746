/**
 * A small model of IAM policy evaluation, enough for the statements the platform writes: wildcard
 * `Action`/`NotAction` (case-insensitive) and `Resource` matching; StringEquals, StringLike and
 * StringNotEquals conditions (a missing key fails StringEquals and StringLike and satisfies
 * StringNotEquals); Bool (a missing key fails it); their IfExists forms StringNotEqualsIfExists and BoolIfExists (a missing key
 * satisfies them) and StringNotLike (a missing key satisfies it); `Null`; on multi-valued keys
 * `ForAllValues:StringEquals` (every value must be listed; a missing key satisfies it, as in IAM) and
 * `ForAnyValue:StringNotEquals` (some value is not listed; a missing key fails it); an explicit deny
 * wins. Booleans are compared as strings.
 */
export type Decision = "allow" | "deny" | "implicit-deny";
export const glob = (pattern: string, value: string, flags = "") =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, flags).test(value);
/** The only role actions for which IAM puts `iam:PermissionsBoundary` in the request context. */
const ACTIONS_WITH_BOUNDARY_KEY = new Set([
  "iam:AttachRolePolicy",
  "iam:CreateRole",
  "iam:DeleteRolePermissionsBoundary",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
]);

export type RequestContext = Record<string, string | string[]>;
function applies(s: Record<string, any>, action: string, resource: string, requested: RequestContext): boolean {
  // Model IAM faithfully: other actions never carry the boundary key, whatever the caller intends.
  const context = Object.fromEntries(
    Object.entries(requested).filter(([key]) => key !== "iam:PermissionsBoundary" || ACTIONS_WITH_BOUNDARY_KEY.has(action)),
  );
  const actionHit = "NotAction" in s ? ![s.NotAction].flat().some((p: string) => glob(p, action, "i")) : [s.Action].flat().some((p: string) => glob(p, action, "i"));
  // A trust policy has no Resource: the role it belongs to is the resource.
  if (!actionHit || (s.Resource !== undefined && ![s.Resource].flat().some((p: string) => glob(p, resource)))) return false;
  for (const [operator, keys] of Object.entries<Record<string, string | string[]>>(s.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const value = context[key];
      const listed = [expected].flat();
      if (operator === "ForAllValues:StringEquals") {
        if (value !== undefined && ![value].flat().every((v) => listed.includes(v))) return false;
        continue;
      }
      if (operator === "ForAnyValue:StringNotEquals") {
        // A missing key matches nothing.
        if (value === undefined || ![value].flat().some((v) => !listed.includes(v))) return false;
        continue;
      }
      if (operator === "Null") {
        // "true": the key must be absent; "false": present.
        if (String(expected) === "true" ? value !== undefined : value === undefined) return false;
        continue;
      }
      if (Array.isArray(value)) throw new Error(`${operator} on the multi-valued key ${key} is not modelled`);
      const hit = value !== undefined && listed.map(String).includes(value);
      if (operator === "StringEquals" && !hit) return false;
      if (operator === "StringNotEquals" && hit) return false;
      if (operator === "StringLike" && (value === undefined || !listed.some((p) => glob(String(p), value)))) return false;
      // Negated operators hold when the key is missing.
      if (operator === "StringNotLike" && value !== undefined && listed.some((p) => glob(String(p), value))) return false;
      // The IfExists forms hold when the key is missing.
      if (operator === "StringNotEqualsIfExists" && value !== undefined && hit) return false;
      if (operator === "BoolIfExists" && value !== undefined && !hit) return false;
      // Bool needs the key: a request without it does not match.
      if (operator === "Bool" && !hit) return false;
      if (!["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringNotEqualsIfExists", "BoolIfExists", "Bool"].includes(operator)) {
        throw new Error(`${operator} is not modelled`);
      }
    }
  }
  return true;
}
export function decide(statements: Array<Record<string, any>>, action: string, resource: string, context: RequestContext = {}): Decision {
  const hits = statements.filter((s) => applies(s, action, resource, context));
  if (hits.some((s) => s.Effect === "Deny")) return "deny";
  return hits.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}
/** A role's effective decision under a permissions boundary: both must allow, any deny wins. */
export function decideBounded(policy: Array<Record<string, any>>, boundary: Array<Record<string, any>>, action: string, resource: string): Decision {
  const [p, b] = [decide(policy, action, resource), decide(boundary, action, resource)];
  if (p === "deny" || b === "deny") return "deny";
  return p === "allow" && b === "allow" ? "allow" : "implicit-deny";
}
