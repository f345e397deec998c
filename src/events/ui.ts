import { z } from "zod";
import { FeedUnavailableError, errorMessage, type EventFeed, type FeedSink } from "./feed.ts";
import { EventParseError, eventFromJson, preview, type FalcoEvent, type Priority } from "./model.ts";
import { FalcoStackError } from "../errors.ts";

/** falcosidekick-ui's `since`: plain seconds or `<n><unit>` with s, m, h, d, w, M, y. */
const SINCE = /^\d+[smhdwMy]?$/;

/**
 * Throws unless `since` is a value the UI understands. The UI 2.2.0 process exits on an unknown unit
 * (falco-charts.md §7.2), so this check must happen before any request.
 */
export function validateSince(since: string): string {
  if (!SINCE.test(since)) {
    throw new UiRequestError(
      `invalid since "${since}": use seconds ("90") or a number with one unit s, m, h, d, w, M, y ("15m")`,
    );
  }
  return since;
}

/** The UI answered, but not with what we asked for. */
export class UiRequestError extends FalcoStackError {}

/** The UI did not answer, or answered with a server error (502 from a proxy, 503 while Redis starts): worth retrying. */
export class UiUnavailableError extends FeedUnavailableError {}

export interface UiSearch {
  since?: string;
  priority?: readonly Priority[];
  rule?: readonly string[];
  limit?: number;
}

export interface UiSearchResult {
  events: FalcoEvent[];
  /** Entries that did not validate as events. */
  problems: string[];
}

const searchResponse = z.object({
  results: z.array(z.unknown()).nullable(),
  statistics: z.object({ returned: z.number().optional(), all: z.number().optional() }).optional(),
});

export interface UiClientOptions {
  /** e.g. `http://127.0.0.1:2802` (a trailing `/api/v1` is accepted too). */
  url: string;
  user: string;
  password: string;
  requestTimeoutMs?: number;
}

/** A small client for the falcosidekick UI API (basic auth on every call; there is no session). */
export class UiClient {
  readonly baseUrl: string;
  private readonly authorization: string;

  constructor(private readonly options: UiClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new UiRequestError(`"${options.url}" is not a URL (expected http://HOST:PORT)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new UiRequestError(`"${options.url}" must be an http:// or https:// URL`);
    }
    if (options.user === "" || options.password === "") {
      throw new UiRequestError("the UI user and password must not be empty");
    }
    this.baseUrl = parsed.origin + parsed.pathname.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
    this.authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString("base64")}`;
  }

  /** GET /api/v1/events/search, newest first. */
  async searchEvents(search: UiSearch = {}): Promise<UiSearchResult> {
    const params = new URLSearchParams();
    if (search.since !== undefined) params.set("since", validateSince(search.since));
    if (search.priority?.length) params.set("priority", search.priority.join(","));
    if (search.rule?.length) params.set("rule", search.rule.join(","));
    if (search.limit !== undefined) params.set("limit", String(search.limit));
    const body = await this.getJson(`/api/v1/events/search?${params.toString()}`);
    const parsed = searchResponse.safeParse(body);
    if (!parsed.success) {
      throw new UiRequestError(
        `${this.baseUrl}/api/v1/events/search did not answer {"results":[...]}: ${preview(JSON.stringify(body))}`,
      );
    }
    const events: FalcoEvent[] = [];
    const problems: string[] = [];
    for (const entry of parsed.data.results ?? []) {
      try {
        events.push(eventFromJson(entry));
      } catch (error) {
        if (!(error instanceof EventParseError)) throw error;
        problems.push(`UI result ${preview(JSON.stringify(entry) ?? String(entry), 60)}: ${error.message}`);
      }
    }
    return { events, problems };
  }

  private async getJson(pathAndQuery: string): Promise<unknown> {
    const url = `${this.baseUrl}${pathAndQuery}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: this.authorization, accept: "application/json" },
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      throw new UiUnavailableError(
        timedOut
          ? `the falcosidekick UI at ${this.baseUrl} did not answer within ${(this.options.requestTimeoutMs ?? 10_000) / 1000}s`
          : `cannot reach the falcosidekick UI at ${this.baseUrl}: ${errorMessage(error)}`,
      );
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new FeedUnavailableError(
        `the falcosidekick UI at ${this.baseUrl} refused user "${this.options.user}" (HTTP ${response.status}): check the user and password (stack outputs uiUser/uiPassword)`,
      );
    }
    if (!response.ok) {
      const message = `GET ${url} answered HTTP ${response.status}: ${preview(text)}`;
      if (response.status >= 500 || response.status === 429) throw new UiUnavailableError(message);
      throw new UiRequestError(message);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new UiRequestError(`GET ${url} did not answer JSON: ${preview(text)}`);
    }
  }
}

export interface UiFeedOptions {
  client: UiClient;
  pollIntervalMs?: number;
  /** Seconds of history to ask for beyond the time since start, for clock skew and slow delivery. */
  marginSeconds?: number;
  limit?: number;
  priority?: readonly Priority[];
  /** How long the UI may stay unavailable (no answer, HTTP 5xx) before the feed gives up. Default 30 s. */
  retryForMs?: number;
  /** The first wait before retrying; it doubles up to 8 s. Default 500 ms. */
  retryDelayMs?: number;
}

/**
 * Follows the UI by polling the search API. The first poll only records what is already stored,
 * so the feed delivers the events that arrive after `start`.
 */
export function uiFeed(options: UiFeedOptions): EventFeed {
  const { client } = options;
  const seen = new Set<string>();
  const reported = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let startedAt = 0;
  const pollInterval = options.pollIntervalMs ?? 1000;
  const margin = options.marginSeconds ?? 120;

  const search = (): Promise<UiSearchResult> =>
    client.searchEvents({
      since: String(Math.ceil((Date.now() - startedAt) / 1000) + margin),
      limit: options.limit ?? 200,
      priority: options.priority,
    });

  const retryFor = options.retryForMs ?? 30_000;
  /** Ends the pause before a retry at once (stop). */
  let wake: () => void = () => undefined;
  const firstDelay = options.retryDelayMs ?? 500;

  /**
   * Runs `search` until it answers; a UI that is unavailable (see UiUnavailableError) is asked
   * again with growing pauses, each said through `status`, for at most `retryFor` in a row.
   */
  const searchWithRetry = async (status: (message: string) => void): Promise<UiSearchResult> => {
    const failingSince = Date.now();
    let delay = firstDelay;
    for (;;) {
      try {
        return await search();
      } catch (error) {
        if (!(error instanceof UiUnavailableError) || stopped) throw error;
        const left = failingSince + retryFor - Date.now();
        if (left <= 0) {
          throw new UiUnavailableError(
            `${error.message} (still failing after ${Number((retryFor / 1000).toFixed(1))}s of retries)`,
          );
        }
        const wait = Math.min(delay, left);
        status(`${error.message}: retrying in ${(wait / 1000).toFixed(1)}s`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, wait);
        });
        if (stopped) throw error;
        delay = Math.min(delay * 2, 8000);
      }
    }
  };

  return {
    channel: "ui",
    description: `falcosidekick UI ${client.baseUrl}`,
    async start(sink: FeedSink) {
      startedAt = Date.now();
      const status = (message: string): void => sink.status?.(message);
      const baseline = await searchWithRetry(status);
      for (const event of baseline.events) seen.add(eventKey(event));
      const poll = async (): Promise<void> => {
        try {
          const result = await searchWithRetry(status);
          if (stopped) return;
          // The API answers newest first; deliver oldest first.
          for (const event of [...result.events].reverse()) {
            const key = eventKey(event);
            if (seen.has(key)) continue;
            seen.add(key);
            sink.event(event, client.baseUrl);
          }
          for (const problem of result.problems) {
            if (reported.has(problem)) continue;
            reported.add(problem);
            sink.problem(problem);
          }
        } catch (error) {
          if (!stopped) sink.failed(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!stopped) timer = setTimeout(() => void poll(), pollInterval);
      };
      timer = setTimeout(() => void poll(), pollInterval);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake();
    },
  };
}

function eventKey(event: FalcoEvent): string {
  return event.uuid ?? `${event.time.toISOString()}|${event.rule}|${event.output}`;
}
