import type { EventFeed, FeedSink } from "../../src/events/feed.ts";
import type { LogLineSource } from "../../src/events/log-feed.ts";
import type { DemoTarget } from "../../src/demo/match.ts";
import type { DemoCluster, ExecResult, PodStatus } from "../../src/demo/runner.ts";
import type { TriggerStep } from "../../src/demo/scenario.ts";

/** A feed the test pushes events into. */
export class FakeFeed implements EventFeed {
  readonly channel = "nats" as const;
  readonly description = "fake channel";
  sink?: FeedSink;
  started = false;
  stopped = false;
  async start(sink: FeedSink): Promise<void> {
    this.sink = sink;
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** Falco pod logs the test writes lines into with `emit`, once the feed has started reading. */
export class FakeLogLines implements LogLineSource {
  readonly description = "fake Falco pod logs";
  private onLine: (origin: string, line: string) => void = () => undefined;
  async start(onLine: (origin: string, line: string) => void): Promise<void> {
    this.onLine = onLine;
  }
  async stop(): Promise<void> {}
  emit(origin: string, line: string): void {
    this.onLine(origin, line);
  }
}

/** A cluster whose exec runs a callback standing in for Falco seeing the trigger. */
export class FakeCluster implements DemoCluster {
  readonly executed: string[] = [];
  constructor(
    private readonly status: PodStatus,
    private readonly onExec: (
      step: TriggerStep,
      target: DemoTarget,
    ) => ExecResult | undefined | Promise<ExecResult | undefined>,
  ) {}
  async podStatus(): Promise<PodStatus> {
    return this.status;
  }
  async exec(target: DemoTarget, step: TriggerStep): Promise<ExecResult> {
    this.executed.push(step.id);
    return (await this.onExec(step, target)) ?? { ok: true, exitCode: 0 };
  }
}

export const readyPod: PodStatus = {
  exists: true,
  ready: true,
  phase: "Running",
  containerIds: ["containerd://85510af8dfe0aaaa"],
};

/** A manual clock: the test moves time forward. */
export class ManualClock {
  constructor(public time: number) {}
  now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}
