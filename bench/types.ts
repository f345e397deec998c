/** One figure a bench reports; `goal` states the target in words when there is one. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  /** Whether the figure meets the goal, when a goal is stated. */
  met?: boolean;
}

/** A bench module exports `run`, which measures and returns its figures. */
export type Bench = () => Promise<BenchFigure[]>;
