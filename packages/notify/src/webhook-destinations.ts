import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * The address ranges a webhook may not reach unless the operator allows them, by class: the host
 * itself, the networks behind it, and the cloud's metadata service (169.254.169.254). The first range
 * that holds an address names its class; IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
 * IPv6 addresses are classed by the IPv4 address inside them.
 */
const INTERNAL: readonly [string, string][] = [
  // 0.0.0.0 reaches the host itself on Linux; the rest of 0/8 is "this network".
  ["0.0.0.0/8", "unspecified"],
  ["127.0.0.0/8", "loopback"],
  ["10.0.0.0/8", "private"],
  ["172.16.0.0/12", "private"],
  ["192.168.0.0/16", "private"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["169.254.0.0/16", "link-local"],
  ["224.0.0.0/4", "multicast"],
  // Reserved, and the broadcast address.
  ["240.0.0.0/4", "reserved"],
  // IETF protocol assignments and the benchmarking range: nothing public answers there.
  ["192.0.0.0/24", "reserved"],
  ["198.18.0.0/15", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  // The deprecated IPv4-compatible form (::a.b.c.d): no public receiver has one.
  ["::/96", "reserved"],
  ["fc00::/7", "private"],
  // Site-local: deprecated, and routed only inside a site where it is still used.
  ["fec0::/10", "private"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
  // A site's own NAT64 prefix, and 6to4 (which carries an IPv4 address inside): either can lead inward.
  ["64:ff9b:1::/48", "private"],
  ["2002::/16", "reserved"],
];

/** An address as a number, with its family. */
interface Address {
  family: 4 | 6;
  value: bigint;
}

interface Range {
  family: 4 | 6;
  /** The first address, host bits zero. */
  base: bigint;
  bits: number;
}

const width = (family: 4 | 6) => (family === 4 ? 32 : 128);

/** A literal IPv4 or IPv6 address (an IPv6 zone, `%eth0`, is dropped); undefined for anything else. */
function parseAddress(text: string): Address | undefined {
  const plain = text.split("%")[0] as string;
  const family = isIP(plain);
  if (family === 4) return { family, value: plain.split(".").reduce((v, octet) => (v << 8n) | BigInt(octet), 0n) };
  if (family !== 6) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4) as the two groups it stands for.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(plain)?.[1];
  let groups = plain;
  if (tail) {
    const v4 = parseAddress(tail)?.value ?? 0n;
    groups = `${plain.slice(0, -tail.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = "", rest] = groups.split("::");
  const headGroups = head ? head.split(":") : [];
  const restGroups = rest ? rest.split(":") : [];
  const zeros = rest === undefined ? [] : Array(8 - headGroups.length - restGroups.length).fill("0");
  return { family, value: [...headGroups, ...zeros, ...restGroups].reduce((v, g) => (v << 16n) | BigInt(`0x${g}`), 0n) };
}

/** `a.b.c.d/n`, `x::y/n`, or one address (all its bits); undefined when it is neither. */
function parseRange(text: string): Range | undefined {
  const [address, prefix, extra] = text.split("/");
  const parsed = parseAddress(address ?? "");
  if (!parsed || extra !== undefined || text.includes("%")) return undefined;
  const bits = prefix === undefined ? width(parsed.family) : Number(prefix);
  if (!/^\d+$/.test(prefix ?? "0") || bits > width(parsed.family)) return undefined;
  const hostBits = BigInt(width(parsed.family) - bits);
  return { family: parsed.family, base: (parsed.value >> hostBits) << hostBits, bits };
}

function inRange(address: Address, range: Range): boolean {
  if (address.family !== range.family) return false;
  const hostBits = BigInt(width(range.family) - range.bits);
  return address.value >> hostBits === range.base >> hostBits;
}

const MAPPED = parseRange("::ffff:0:0/96") as Range;
const NAT64 = parseRange("64:ff9b::/96") as Range;
const INTERNAL_RANGES = INTERNAL.map(([range, kind]) => ({ range: parseRange(range) as Range, kind }));

/** The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address, else the address itself. */
function unwrapped(address: Address): Address {
  return inRange(address, MAPPED) || inRange(address, NAT64) ? { family: 4, value: address.value & 0xffffffffn } : address;
}

/**
 * The class of an internal address ("loopback", "private", "link-local", ...), undefined for a public
 * one (or what is not an address).
 */
export function addressClass(text: string): string | undefined {
  const parsed = parseAddress(text);
  if (!parsed) return undefined;
  const address = unwrapped(parsed);
  return INTERNAL_RANGES.find(({ range }) => inRange(address, range))?.kind;
}

/** A webhook's URL refused by the destination policy, or whose host could not be resolved. */
export class DestinationError extends Error {
  override readonly name = "DestinationError";
  constructor(
    message: string,
    /** True: refused by the policy (an internal address); false: the host did not resolve. */
    readonly refused: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Where a delivery may go: the URL, and the addresses its host resolved to, all of them checked. */
export interface Destination {
  url: URL;
  addresses: LookupAddress[];
}

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const resolveAll: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Which destinations webhooks may reach: any public address, and internal ones (loopback,
 * unspecified, private, carrier-grade NAT, link-local, multicast, reserved) only where the operator's
 * allow-list holds them. The allow-list is comma-separated CIDR ranges, addresses and host names
 * (`127.0.0.1/32,10.1.2.0/24,receiver.local`): a range or address allows the internal addresses in
 * it; a host name allows whatever that name resolves to (only that name: another that resolves to the
 * same address is still refused).
 *
 * A host is resolved on every check, and every address it resolves to must pass: a name that resolves
 * to one public and one internal address is refused. The delivery then connects to the addresses
 * checked (Destination.addresses), never resolving the name again, so DNS that answers differently
 * between the check and the connection (rebinding) changes nothing.
 */
export class DestinationPolicy {
  private readonly ranges: Range[] = [];
  private readonly hosts = new Set<string>();
  private readonly resolve: Resolver;

  constructor(options: { allow?: string; resolve?: Resolver } = {}) {
    this.resolve = options.resolve ?? resolveAll;
    for (const entry of (options.allow ?? "").split(",").map((e) => e.trim().toLowerCase())) {
      if (!entry) continue;
      const range = parseRange(entry);
      if (range) this.ranges.push(range);
      else if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(entry) && !entry.includes("/")) this.hosts.add(entry);
      else throw new RangeError(`FACEREC_WEBHOOK_ALLOW: "${entry}" is not a CIDR range, an address or a host name`);
    }
  }

  /** The policy with the operator's allow-list, FACEREC_WEBHOOK_ALLOW (none when it is not set). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
    return new DestinationPolicy(env.FACEREC_WEBHOOK_ALLOW ? { allow: env.FACEREC_WEBHOOK_ALLOW } : {});
  }

  private allows(address: Address): boolean {
    const inner = unwrapped(address);
    return this.ranges.some((range) => inRange(address, range) || inRange(inner, range));
  }

  /**
   * Resolve the URL's host (a literal address is taken as it is) and check every address; throws
   * DestinationError when one is internal and not allowed, or when the host does not resolve.
   */
  async check(url: string | URL): Promise<Destination> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    const family = isIP(host);
    let addresses: LookupAddress[];
    if (family) addresses = [{ address: host, family }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        throw new DestinationError(`${host} could not be resolved`, false, { cause: error });
      }
      if (!addresses.length) throw new DestinationError(`${host} could not be resolved`, false);
    }
    if (!this.hosts.has(host)) {
      for (const { address } of addresses) {
        const kind = addressClass(address);
        if (!kind || this.allows(parseAddress(address) as Address)) continue;
        // The class only: the address an internal name resolves to is not the caller's to learn.
        const what = family ? `${host} is an address` : `${host} resolves to an address`;
        throw new DestinationError(
          `${what} in the ${kind} range, which webhooks may not reach unless the operator allows it (FACEREC_WEBHOOK_ALLOW)`,
          true,
        );
      }
    }
    return { url: target, addresses };
  }
}
