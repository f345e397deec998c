/** Falco's priorities, most severe first (Emergency = 0 … Debug = 7), as Falco and falcosidekick spell them. */
export const PRIORITIES = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;

export type Priority = (typeof PRIORITIES)[number];

/** The lower-case spelling falcosidekick's `minimumpriority` and NATS subjects use. */
export type LowerPriority = Lowercase<Priority>;

export const LOWER_PRIORITIES = PRIORITIES.map((priority) => priority.toLowerCase() as LowerPriority);
