import { isZoneId } from "../../src/lib/zones";

/**
 * Where EMR Serverless runs in a VPC: the regions where it is limited to some zone IDs, and those
 * zone IDs. Every other zone of these regions is unsupported (in us-east-1: use1-az3). Regions not
 * listed had no limit in that table when this one was written (af-south-1 appeared as limited with
 * its zones cut off in every copy available, so it is not listed): check the page for a new region.
 * Source: the "EMR Serverless service endpoints" table of
 * https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/endpoints-quotas.html
 * ("us-east-1 (limited to the following Availability Zones: use1-az1, use1-az2, use1-az4, use1-az5,
 * and use1-az6)").
 */
export const EMR_SERVERLESS_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  "us-east-1": ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"],
  "us-east-2": ["use2-az1", "use2-az2", "use2-az3"],
  "us-west-1": ["usw1-az1", "usw1-az3"],
  "us-west-2": ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
  "ca-central-1": ["cac1-az1", "cac1-az2", "cac1-az4"],
  "ap-northeast-1": ["apne1-az1", "apne1-az2", "apne1-az4"],
  "cn-north-1": ["cnn1-az1", "cnn1-az2"],
};

/** EMR Serverless needs subnets in at least this many zones it supports (an application survives a zone outage). */
export const EMR_SERVERLESS_MIN_ZONES = 2;

/**
 * Whether EMR Serverless runs in `zone` of `region`: true for every zone of a region without a
 * limit, false for a zone ID outside a limited region's list, and undefined for a zone name in a
 * limited region (names map to different zone IDs in each account, so offline it cannot be known).
 */
export function emrServerlessSupportsZone(region: string, zone: string): boolean | undefined {
  const supported = EMR_SERVERLESS_ZONE_IDS[region];
  if (!supported) return true;
  return isZoneId(zone) ? supported.includes(zone) : undefined;
}

/**
 * Why EMR Serverless cannot use `zones` of `region` (one line), or undefined when at least
 * {@link EMR_SERVERLESS_MIN_ZONES} of them are zones it supports.
 */
export function emrServerlessZonesProblem(region: string, zones: readonly string[]): string | undefined {
  const support = zones.map((zone) => emrServerlessSupportsZone(region, zone));
  const supported = EMR_SERVERLESS_ZONE_IDS[region];
  if (support.includes(undefined)) {
    return (
      `EMR Serverless runs only in zones ${supported!.join(", ")} of ${region}, and a zone name maps to a different zone in each account: ` +
      `list availabilityZones by zone ID (aws ec2 describe-availability-zones --query "AvailabilityZones[].[ZoneName,ZoneId]")`
    );
  }
  const usable = zones.filter((_, i) => support[i]);
  if (usable.length < EMR_SERVERLESS_MIN_ZONES) {
    const unsupported = zones.filter((_, i) => !support[i]);
    return (
      `EMR Serverless needs at least ${EMR_SERVERLESS_MIN_ZONES} zones it supports, and ${unsupported.join(", ")} ` +
      `${unsupported.length === 1 ? "is" : "are"} not among ${supported!.join(", ")} (${region})`
    );
  }
  return undefined;
}
