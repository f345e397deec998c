/**
 * What the Kubernetes API server (and the pinned charts) accept, checked offline so a stack file that
 * would fail or mislead on a cluster is refused at its config key instead.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** ConfigMap keys: `[-._a-zA-Z0-9]+`, at most 253 characters. */
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** A value as a message may quote it: long values are cut, so a 2 MB mistake does not flood the terminal. */
export function shown(value: string, max = 60): string {
  const text = value.length > max ? `${value.slice(0, max)}... (${value.length} characters)` : value;
  return JSON.stringify(text);
}

/** RFC 1123 subdomain: the names of most objects, e.g. a StorageClass. Returns what is wrong, or undefined. */
export function dnsSubdomainError(value: string): string | undefined {
  if (value.length > 253) return "is longer than 253 characters";
  if (!value.split(".").every((part) => DNS_LABEL.test(part))) {
    return "is not a valid Kubernetes name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** A label (or annotation) key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix === "" || dnsSubdomainError(prefix) !== undefined)) {
    return `label key ${shown(key)} has an invalid prefix (a DNS subdomain such as example.com)`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${shown(key)} is not valid: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, after an optional prefix/`;
  }
  return undefined;
}

export function labelValueError(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `label value ${shown(value)} is not valid: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Namespaces the stack must not take over: Kubernetes reserves `kube-*`; `default` holds everyone's pods. */
export function reservedNamespaceError(name: string): string | undefined {
  if (name.startsWith("kube-")) {
    return `"${name}" is reserved for Kubernetes itself (kube-*); use a namespace of its own, such as falco`;
  }
  if (name === "default") {
    return `"default" holds other workloads, and the stack labels its namespace with a Pod Security level; use a namespace of its own, such as falco`;
  }
  return undefined;
}

const BINARY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity as a number (bytes or cores), or undefined when it is not one. */
export function quantityValue(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(value);
  if (!match) return undefined;
  const suffix = match[2] ?? "";
  const factor = BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** A ConfigMap key, e.g. a rules file name. */
export function configMapKeyError(key: string): string | undefined {
  if (key.length > 253) return "is longer than 253 characters";
  if (!CONFIG_MAP_KEY.test(key))
    return "has characters a ConfigMap key cannot hold; use letters, digits, '-', '_' and '.'";
  return undefined;
}

/** A ConfigMap holds at most 1 MiB (etcd's object size limit). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;

// The reference grammar of the distribution project (reference/regexp.go), without the anchors.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

/** A container image reference such as nginx:1.24 or registry.example.com:5000/team/app@sha256:... */
export function imageReferenceError(value: string): string | undefined {
  if (value.length > 255 + 128 + 80 || !IMAGE_REFERENCE.test(value)) {
    return `${shown(value)} is not an image reference such as nginx:1.24 or registry.example.com/team/app:1.0 (lower-case repository, optional :tag and @sha256:digest)`;
  }
  return undefined;
}
