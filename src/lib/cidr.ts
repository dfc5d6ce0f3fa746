/** IPv4 CIDR arithmetic used by config validation and the VPC subnet layout. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`. Returns a reason string instead of throwing, for config validation. */
export function parseCidr(text: string): Ipv4Cidr | string {
  const m = CIDR_PATTERN.exec(text);
  if (!m) {
    return `"${text}" is not an IPv4 CIDR block (expected a.b.c.d/n)`;
  }
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) {
    return `"${text}" has an octet above 255`;
  }
  const prefix = Number(m[5]);
  if (prefix > 32) {
    return `"${text}" has a prefix above /32`;
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((address & mask) >>> 0 !== address) {
    return `"${text}" has host bits set (the network address is ${formatAddress((address & mask) >>> 0)}/${prefix})`;
  }
  return { base: address, prefix };
}

export function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join(".");
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatAddress(cidr.base)}/${cidr.prefix}`;
}

/**
 * Terraform's `cidrsubnet(prefix, newbits, netnum)` evaluated at synth time, so subnet CIDRs appear
 * literally in the plan and in tests.
 */
export function cidrSubnet(parent: Ipv4Cidr, newBits: number, netNum: number): Ipv4Cidr {
  const prefix = parent.prefix + newBits;
  if (prefix > 32) {
    throw new Error(`cannot add ${newBits} bits to a /${parent.prefix}`);
  }
  if (netNum < 0 || netNum >= 2 ** newBits) {
    throw new Error(`network number ${netNum} does not fit in ${newBits} bits`);
  }
  const size = 2 ** (32 - prefix);
  return { base: (parent.base + netNum * size) >>> 0, prefix };
}
