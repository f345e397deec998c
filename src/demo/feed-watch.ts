/**
 * A feed a demo check listens on until what it waits for has arrived: the first problems the feed
 * reports, whether it failed, and a wait that arrival or failure cuts short.
 */
import { errorMessage, type EventFeed } from "../events/feed.ts";
import type { FalcoEvent } from "../events/model.ts";

const MAX_PROBLEMS = 20;

export class FeedWatch {
  /** The first problems the feed reported (unreadable lines, payloads that are not events). */
  readonly problems: string[] = [];
  /** Why the feed stopped, when it did. */
  failure: string | undefined;
  private recheck: (() => void) | undefined;

  constructor(
    private readonly feed: EventFeed,
    private readonly progress: (line: string) => void,
  ) {}

  async start(event: (event: FalcoEvent, origin: string) => void): Promise<void> {
    await this.feed.start({
      event,
      problem: (message) => {
        if (this.problems.length < MAX_PROBLEMS) this.problems.push(message);
      },
      failed: (error) => {
        this.failure = errorMessage(error);
        this.progress(`${this.feed.channel} channel failed: ${this.failure}`);
        this.recheck?.();
      },
      // Reconnecting to NATS, retrying the UI: the wait goes on, and the user sees why nothing arrives.
      status: (message) => this.progress(message),
    });
    this.progress(`listening on ${this.feed.description}`);
  }

  /** Something arrived: a wait in progress ends if what it waits for is now there. */
  arrived(): void {
    this.recheck?.();
  }

  /** Waits until `done()` holds (checked now and at each arrival), the feed fails, or `ms` pass. */
  async waitFor(done: () => boolean, ms: number): Promise<void> {
    if (done() || this.failure !== undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms));
        this.recheck = () => {
          if (done() || this.failure !== undefined) resolve();
        };
      });
    } finally {
      clearTimeout(timer);
      this.recheck = undefined;
    }
  }
}
