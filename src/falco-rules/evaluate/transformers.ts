import { BlockList, isIP } from "node:net";

/**
 * Value helpers for the offline evaluator: Falco's transformers and the comparisons whose semantics
 * are not plain JavaScript (fnmatch globs, path-prefix sets, numbers, IP addresses and networks).
 */

/** `basename()`: the part after the last `/` (libs keeps an empty result for a trailing slash). */
export function basename(value: string): string {
  const slash = value.lastIndexOf("/");
  return slash < 0 ? value : value.slice(slash + 1);
}

/** `b64()` decodes; undefined (no value) when the input is not base64, as the extraction fails in libs. */
export function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact, "base64").toString("latin1");
}

/**
 * `getopt(args, optstring)`: POSIX option parsing of an argument list. Without an index it gives the
 * options found (`-n`, `-t`); with `[o]` the value of option `o` ("" for a flag), or no value.
 */
export function getopt(
  args: readonly string[],
  optstring: string,
  option?: string,
): string | string[] | undefined {
  const takesValue = new Map<string, boolean>();
  for (let index = 0; index < optstring.length; index++) {
    const letter = optstring[index] as string;
    if (letter === ":") continue;
    takesValue.set(letter, optstring[index + 1] === ":");
  }
  const found = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    for (let position = 1; position < arg.length; position++) {
      const letter = arg[position] as string;
      if (!takesValue.has(letter)) continue;
      if (takesValue.get(letter)) {
        const rest = arg.slice(position + 1);
        const value = rest !== "" ? rest : (args[++index] ?? "");
        found.set(letter, value);
        break;
      }
      found.set(letter, "");
    }
  }
  if (option === undefined) return [...found.keys()].map((letter) => `-${letter}`);
  return found.get(option);
}

const globCache = new Map<string, RegExp>();

/** fnmatch(3) with flags 0, as libs `glob_match`: `*` and `?` also match `/`, `\` escapes, `[...]` classes. */
export function globToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? "i" : "s"}${pattern}`;
  const cached = globCache.get(key);
  if (cached) return cached;
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else if (char === "\\" && index + 1 < pattern.length) source += escapeRegExp(pattern[++index] as string);
    else if (char === "[") {
      const close = findClassEnd(pattern, index);
      if (close < 0) source += "\\[";
      else {
        let body = pattern.slice(index + 1, close);
        let negate = false;
        if (body.startsWith("!") || body.startsWith("^")) {
          negate = true;
          body = body.slice(1);
        }
        let members = "";
        for (const [position, member] of [...body].entries()) {
          if (member === "\\" || member === "]" || (member === "^" && position === 0))
            members += `\\${member}`;
          else members += member;
        }
        source += `[${negate ? "^" : ""}${members}]`;
        index = close;
      }
    } else source += escapeRegExp(char);
  }
  const regexp = new RegExp(`^${source}$`, caseInsensitive ? "i" : "");
  globCache.set(key, regexp);
  return regexp;
}

function findClassEnd(pattern: string, open: number): number {
  let index = open + 1;
  if (pattern[index] === "!" || pattern[index] === "^") index++;
  if (pattern[index] === "]") index++;
  const close = pattern.indexOf("]", index);
  return close;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function pathComponents(path: string): string[] {
  return path.split("/").filter((component) => component !== "");
}

/**
 * `pmatch`: whether `path` equals one of `prefixes` or lies below it, compared by path component
 * (libs `path_prefix_search`): `/var` matches `/var/lib/x` but not `/variable`.
 */
export function pathPrefixMatch(path: string, prefixes: readonly string[]): boolean {
  const components = pathComponents(path);
  return prefixes.some((prefix) => {
    const wanted = pathComponents(prefix);
    if (wanted.length > components.length) return false;
    return wanted.every((component, index) => components[index] === component);
  });
}

const WHOLE_NUMBER = /^[+-]?\d+$/;
const MEMO_LIMIT = 10_000;
const numbers = new Map<string, bigint | number | undefined>();

/**
 * The number a field value or literal stands for (whole numbers exactly, as BigInt), undefined
 * when it is none. Event values repeat, so results are remembered (bounded).
 */
export function numericValue(text: string): bigint | number | undefined {
  if (numbers.has(text)) return numbers.get(text);
  const trimmed = text.trim();
  let value: bigint | number | undefined;
  if (WHOLE_NUMBER.test(trimmed)) value = BigInt(trimmed);
  else if (trimmed !== "") {
    const number = Number(trimmed);
    value = Number.isNaN(number) ? undefined : number;
  }
  if (numbers.size >= MEMO_LIMIT) numbers.clear();
  numbers.set(text, value);
  return value;
}

const canonicalIps = new Map<string, string | undefined>();

/** Canonical text of an IPv4/IPv6 address, undefined when it is not one (remembered, bounded). */
export function canonicalIp(value: string): string | undefined {
  if (canonicalIps.has(value)) return canonicalIps.get(value);
  const canonical = canonicalIpOf(value);
  if (canonicalIps.size >= MEMO_LIMIT) canonicalIps.clear();
  canonicalIps.set(value, canonical);
  return canonical;
}

function canonicalIpOf(value: string): string | undefined {
  const trimmed = value.trim();
  const family = isIP(trimmed);
  if (family === 4)
    return trimmed
      .split(".")
      .map((part) => String(Number(part)))
      .join(".");
  if (family === 6) return new URL(`http://[${trimmed}]`).hostname.slice(1, -1);
  return undefined;
}

const networkCache = new Map<string, BlockList | null>();

/** Whether `ip` lies in `network` (CIDR, or a single address meaning /32 or /128). */
export function ipInNetwork(ip: string, network: string): boolean {
  const address = canonicalIp(ip);
  if (address === undefined) return false;
  let blocks = networkCache.get(network);
  if (blocks === undefined) {
    blocks = parseNetwork(network);
    networkCache.set(network, blocks);
  }
  if (blocks === null) return false;
  return blocks.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

function parseNetwork(network: string): BlockList | null {
  const [base, bits] = network.trim().split("/", 2) as [string, string | undefined];
  const address = canonicalIp(base);
  if (address === undefined) return null;
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  const prefix = bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === "ipv6" ? 128 : 32)) return null;
  const blocks = new BlockList();
  blocks.addSubnet(address, prefix, family);
  return blocks;
}

/** Lower-case hex of the value's bytes, for `bcontains`/`bstartswith`. */
export function bytesHex(value: string): string {
  return Buffer.from(value, "latin1").toString("hex");
}
