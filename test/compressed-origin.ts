/**
 * @module A store origin outside workerd for the worker tests (vitest's globalSetup, in Node): a real HTTP server on
 * the loopback that answers its page compressed, as its path names (`/gzip`, `/br`), the way a store's server or
 * CDN sends HTML. test/edge/rewrite.test.ts fetches it from workerd to check that the edge rewrite reads it decoded.
 *
 * It also holds pages back, to put an order on what the Worker does: `/held/<key>` answers its page only once
 * `/release/<key>` has been asked for (or 504 after HOLD_MS, so a test that never releases fails rather than hangs).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The compressed origin's base URL, e.g. http://127.0.0.1:43121. */
    compressedOrigin: string;
  }
}

/** How long a held page waits for its release before it answers 504. */
const HOLD_MS = 3_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const released = new Set<string>();
  const waiting = new Map<string, () => void>();
  const server = createServer((request, response) => {
    const [, route, key = ""] = (request.url ?? "").split("/");
    if (route === "release") {
      released.add(key);
      waiting.get(key)?.();
      response.writeHead(204).end();
      return;
    }
    if (route === "held") {
      const send = (status: number) => {
        clearTimeout(timer);
        waiting.delete(key);
        response.writeHead(status, { "content-type": "text/html; charset=utf-8" });
        response.end(`<!doctype html><html><head><title>Held</title></head><body><main>Held ${key}</main></body></html>`);
      };
      const timer = setTimeout(() => send(504), HOLD_MS);
      if (released.has(key)) send(200);
      else waiting.set(key, () => send(200));
      return;
    }
    const encoding = (request.url ?? "").slice(1);
    const page = Buffer.from(`<!doctype html><html><head><title>Compressed</title></head><body><main>Socks, ${encoding}</main><p data-valuebar="shipping">Fallback</p></body></html>`);
    const body = encoding === "br" ? brotliCompressSync(page) : gzipSync(page);
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": encoding, "content-length": body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("compressedOrigin", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
