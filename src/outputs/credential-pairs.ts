import type { OutputName } from "./catalog.ts";

/**
 * Credentials falcosidekick 2.32 only sends together: given alone, they are silently ignored and
 * the output connects without authentication. Each rule names the keys that must come as a set.
 */
export interface CredentialSet {
  keys: readonly string[];
  why: string;
}

export const CREDENTIAL_SETS: Partial<Record<OutputName, readonly CredentialSet[]>> = {
  kafka: [
    {
      keys: ["sasl", "username", "password"],
      why: "falcosidekick 2.32 authenticates to Kafka only with a SASL mechanism, a username and a password; without sasl it connects unauthenticated",
    },
  ],
  loki: [
    {
      keys: ["user", "apikey"],
      why: "falcosidekick 2.32 sends Loki basic auth only when both user and apikey are set",
    },
  ],
  elasticsearch: [
    {
      keys: ["username", "password"],
      why: "falcosidekick 2.32 sends Elasticsearch basic auth only when both username and password are set",
    },
  ],
  mqtt: [
    {
      keys: ["user", "password"],
      why: "falcosidekick 2.32 sends MQTT credentials only as a pair of user and password",
    },
  ],
};

/** The keys of a set that are missing while others of it are present, with the reason. */
export function missingCredentials(
  name: OutputName,
  present: (key: string) => boolean,
): { key: string; message: string }[] {
  const missing: { key: string; message: string }[] = [];
  for (const set of CREDENTIAL_SETS[name] ?? []) {
    const given = set.keys.filter(present);
    if (given.length === 0 || given.length === set.keys.length) continue;
    for (const key of set.keys.filter((key) => !present(key))) {
      missing.push({ key, message: `is required with ${given.join(" and ")}: ${set.why}` });
    }
  }
  return missing;
}
