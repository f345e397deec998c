import http from "node:http";

/**
 * A local HTTP server that stands in for the falcosidekick UI API (falco-charts.md §7.2): basic auth
 * on /api/v1 except healthz, `GET /api/v1/events/search` answering {"results":[...],"statistics":{...}}
 * newest first, and the UI's `since` grammar. It is not the UI; it answers the way the UI does.
 */
export interface UiStandIn {
  url: string;
  /** Events stored, as the UI would return them. */
  events: Record<string, unknown>[];
  /** Every request received (path with query). */
  requests: string[];
  /** Answer the next searches with this instead (status, body). */
  override?: { status: number; body: string };
  /** Answer this many of the next searches with `status` (e.g. a proxy's 502), then normally again. */
  failNext?: { count: number; status: number; body: string };
  close(): Promise<void>;
}

export async function startUiStandIn(user: string, password: string): Promise<UiStandIn> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const state: Omit<UiStandIn, "url" | "close"> = { events: [], requests: [] };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    state.requests.push(`${url.pathname}${url.search}`);
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/api/v1/healthz") return json(200, { status: "ok" });
    if (request.headers.authorization !== expected) return json(401, { message: "Unauthorized" });
    if (url.pathname !== "/api/v1/events/search") return json(404, { message: "Not Found" });
    if (state.failNext && state.failNext.count > 0) {
      state.failNext.count -= 1;
      response.writeHead(state.failNext.status, { "content-type": "text/html" });
      return response.end(state.failNext.body);
    }
    if (state.override) {
      response.writeHead(state.override.status, { "content-type": "application/json" });
      return response.end(state.override.body);
    }
    const since = url.searchParams.get("since");
    if (since !== null && !/^\d+[smhdwMy]?$/.test(since)) {
      // The real UI 2.2.0 exits here (log.Fatalf); the stand-in just drops the connection.
      return request.socket.destroy();
    }
    const newestFirst = [...state.events].sort((a, b) => String(b.time).localeCompare(String(a.time)));
    const limit = Number(url.searchParams.get("limit") ?? 100);
    const results = newestFirst.slice(0, limit);
    return json(200, { results, statistics: { returned: results.length, all: state.events.length } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const standIn = state as UiStandIn;
  standIn.url = `http://127.0.0.1:${port}`;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}
