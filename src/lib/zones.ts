/**
 * Availability zones, by name or by zone ID, checked offline.
 *
 * A zone name (`us-east-1a`) is the region followed by one letter, and each AWS account maps names
 * to physical zones on its own. A zone ID (`use1-az1`) is the same physical zone in every account:
 * "the first three letters of the Region code, followed by the number at the end of the Region
 * code, followed by -az, followed by a number" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
 * In practice the region part is the two-letter area, then the initials of each direction word
 * (us-east-1 -> use1, eu-west-1 -> euw1, ap-southeast-2 -> apse2, ca-central-1 -> cac1,
 * us-gov-west-1 -> usgw1); `zoneIdPrefix` builds it from the region name.
 */

/** Initials of the direction words in region names, as they appear in zone IDs. */
const DIRECTION_INITIALS: Readonly<Record<string, string>> = {
  east: "e",
  west: "w",
  north: "n",
  south: "s",
  central: "c",
  northeast: "ne",
  northwest: "nw",
  southeast: "se",
  southwest: "sw",
};

const ZONE_ID = /^([a-z]+\d+)-az(\d+)$/;

/** The zone ID prefix of a region (`us-east-1` -> `use1`), or undefined for a region whose prefix is not known. */
export function zoneIdPrefix(region: string): string | undefined {
  const match = /^([a-z]{2})(-gov)?-([a-z]+)-(\d+)$/.exec(region);
  const initials = match && DIRECTION_INITIALS[match[3]];
  if (!match || !initials) return undefined;
  return `${match[1]}${match[2] ? "g" : ""}${initials}${match[4]}`;
}

/** Whether `zone` is written as a zone ID (`use1-az1`) rather than a zone name (`us-east-1a`). */
export function isZoneId(zone: string): boolean {
  return ZONE_ID.test(zone);
}

/** Why `zone` is neither a zone name nor a zone ID of `region`, or undefined when it is one. */
export function zoneProblem(region: string, zone: string): string | undefined {
  const id = ZONE_ID.exec(zone);
  if (id) {
    const prefix = zoneIdPrefix(region);
    if (prefix === undefined) return `"${zone}": zone IDs are not supported for region ${region}; list zones by name`;
    return id[1] === prefix ? undefined : `"${zone}" is not a zone ID of region ${region} (those start with "${prefix}-az")`;
  }
  if (zone.startsWith(region) && /^[a-z]$/.test(zone.slice(region.length))) return undefined;
  return `"${zone}" is neither a zone name (${region}a) nor a zone ID (${zoneIdPrefix(region) ?? "<prefix>"}-az1) of region ${region}`;
}

/**
 * The key of the zone at `index` in per-zone construct ids (and so in Terraform addresses). A zone
 * name is its own key. A zone ID is keyed by its position, as the zone name at that position
 * (`<region>a`, `<region>b`, ...): listing the zones `<region>a`, `<region>b`, ... by the IDs they
 * map to keeps every address, so no subnet is replaced for the switch.
 */
export function zoneKey(region: string, zone: string, index: number): string {
  return isZoneId(zone) ? `${region}${String.fromCharCode("a".charCodeAt(0) + index)}` : zone;
}
