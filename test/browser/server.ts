/**
 * @module A tiny HTTP server on 127.0.0.1 (port chosen by the OS) for fixture store pages and the store
 * endpoints they call, such as Shopify's /cart.js. Counts requests per path and keeps request bodies, so tests
 * can see what the runtime fetched and sent.
 */
import { createServer, type IncomingMessage } from "node:http";

export interface Reply {
  status?: number;
  type?: string;
  /** More response headers, e.g. a Content-Security-Policy. */
  headers?: Record<string, string>;
  body: string;
}

/** HTML as a string, a full reply, or a function of the request giving either (or a promise of it). */
export type Route = string | Reply | ((request: IncomingMessage) => string | Reply | Promise<string | Reply>);

export interface FixtureServer {
  /** e.g. "http://127.0.0.1:41234" */
  readonly origin: string;
  /** Serves `route` at `path` (a pathname, query ignored), replacing what was there. */
  route(path: string, route: Route): void;
  /** How many requests `path` has had. */
  hits(path: string): number;
  /** The bodies of the requests to `path` that had one, in arrival order. */
  bodies(path: string): string[];
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const routes = new Map<string, Route>([["/favicon.ico", { status: 204, body: "" }]]);
  const counts = new Map<string, number>();
  const received = new Map<string, string[]>();
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://fixture").pathname;
    let body = "";
    for await (const chunk of request) body += String(chunk);
    if (body) received.set(path, [...(received.get(path) ?? []), body]);
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const route = routes.get(path) ?? { status: 404, type: "text/plain", body: "not found" };
    let reply: Reply;
    try {
      const answer = typeof route == "function" ? await route(request) : route;
      reply = typeof answer == "string" ? { body: answer } : answer;
    } catch (error) {
      reply = { status: 500, type: "text/plain", body: `fixture route failed: ${String(error)}` };
    }
    response.writeHead(reply.status ?? 200, {
      "content-type": reply.type ?? "text/html; charset=utf-8",
      "cache-control": "no-store",
      ...reply.headers,
    });
    response.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address == "string") throw new Error("fixture server has no TCP address");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    route: (path, route) => void routes.set(path, route),
    hits: (path) => counts.get(path) ?? 0,
    bodies: (path) => received.get(path) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
