/**
 * @module The edge rewrite (src/edge/rewrite.ts) inside workerd, with its real HTMLRewriter: what it writes into a
 * store's page, that it streams, that it keeps the page's CSP nonce, that it fails open, and its headers.
 */
import { describe, expect, inject, it } from "vitest";
import type { Decision, PlacementDecision } from "../../src/core/decide";
import { topBarCss } from "../../src/core/topbar-css";
import { acceptsEncoding, EDGE_TIMING, rewritePage, type EdgePayload } from "../../src/edge/rewrite";
import { EDGE_RUNTIME_JS as RUNTIME_JS } from "../../snippet/dist/runtime";

function decisionWith(placements: Partial<Decision["placements"]>): Decision {
  return {
    visitor: { id: "v_edge", identified: false, returning: false, country: "DE", device: "desktop" },
    placements: { topbar: null, shipping: null, returns: null, ...placements },
    exposures: [],
  };
}

function message(text: string, fields: Partial<PlacementDecision["message"]> = {}): PlacementDecision {
  return { campaign: "spring", variant: "a", message: { text, dismissible: false, ...fields } };
}

const BAR = message("Free express shipping", { dismissible: true, link: { url: "/pages/shipping", label: "Details" } });
const STORE = "https://shop.example";
const payload = (placements: Partial<Decision["placements"]>): EdgePayload => ({ site: "demo", storeOrigin: STORE, decision: decisionWith(placements) });

function htmlPage(body: string, head = "<title>Store</title>", headers: HeadersInit = {}): Response {
  return new Response(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`, {
    headers: { "content-type": "text/html; charset=utf-8", ...Object.fromEntries(new Headers(headers)) },
  });
}

/** The page without the inlined runtime (whose code and JSON name attributes and hold the decision's raw text). */
function withoutRuntime(html: string): string {
  return html.replace(/<script( nonce="[^"]*")?>\(function\(\)\{[^]*?<\/script>/, "");
}

/** The runtime's call as the rewrite inlines it: the JSON the page's script hands to `__vbr.run`. */
function inlinedPayload(html: string): unknown {
  const call = /__vbr\.run\((.*)\)\}\)\(\);<\/script>/.exec(html)?.[1];
  return call === undefined ? undefined : JSON.parse(call);
}

describe("what the rewrite writes", () => {
  it("puts the bar, as the runtime draws it in a declarative shadow root, before the body's first element", async () => {
    const html = await rewritePage(htmlPage(`<main>Socks</main>`), payload({ topbar: BAR }), RUNTIME_JS).text();
    const bar =
      `<div data-valuebar-placement="topbar"><template shadowrootmode="open"><style>${topBarCss(BAR.message)}</style>` +
      `<div><span>Free express shipping</span> <a href="/pages/shipping">Details</a> <button type="button" aria-label="Dismiss">&times;</button></div></template></div>`;
    expect(html).toContain(`<body>${bar}<main>Socks</main>`);
  });

  it("fills the store's slot when it is the body's first element, and unmarks a slot that gets no bar", async () => {
    const slotted = await rewritePage(htmlPage(`<div data-valuebar="topbar" class="slot">Welcome</div><main>Socks</main>`), payload({ topbar: BAR }), RUNTIME_JS).text();
    expect(slotted).toMatch(/<body><div data-valuebar="topbar" class="slot"><div data-valuebar-placement="topbar"><template shadowrootmode="open">.*<\/template><\/div><\/div><main>/);
    expect(slotted).not.toContain("Welcome");

    // No bar for this visitor: the slot reserves no height (its marker goes), the store's fallback stays.
    const empty = await rewritePage(htmlPage(`<div data-valuebar="topbar" class="slot">Welcome</div><main>Socks</main>`), payload({}), RUNTIME_JS).text();
    expect(empty).toContain(`<div class="slot">Welcome</div><main>Socks</main>`);
    expect(withoutRuntime(empty)).not.toContain("data-valuebar-placement");

    // A slot below the first element: the bar is at the top, the slot unmarked so it does not open a second gap.
    const late = await rewritePage(htmlPage(`<header>Logo</header><div data-valuebar="topbar">Welcome</div>`), payload({ topbar: BAR }), RUNTIME_JS).text();
    expect(late).toMatch(/<body><div data-valuebar-placement="topbar">.*<\/template><\/div><header>Logo<\/header><div>Welcome<\/div>/);
  });

  it("skips elements that draw nothing: the bar comes after the body's scripts and before its first drawn element", async () => {
    const html = await rewritePage(htmlPage(`<script>var x = 1;</script><noscript>Hi</noscript><nav>Menu</nav>`), payload({ topbar: BAR }), RUNTIME_JS).text();
    expect(html).toMatch(/<\/noscript><div data-valuebar-placement="topbar">.*<\/div><nav>Menu<\/nav>/);
  });

  it("writes shipping and returns as the content of every marked element, and marketer text only as text", async () => {
    const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes"`;
    const html = await rewritePage(
      htmlPage(`<main>Socks</main><p data-valuebar="shipping">Fallback</p><p data-valuebar="returns">Old returns</p><p data-valuebar="shipping">Again</p>`),
      payload({
        shipping: message(hostile, { link: { url: "javascript:alert(3)", label: "Bad" } }),
        returns: message("Free returns", { link: { url: "https://shop.example/returns", label: `<b>"Read"</b>` } }),
      }),
      RUNTIME_JS,
    ).text();
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; &quot;quotes&quot;";
    expect(html.match(/<p data-valuebar="shipping" data-valuebar-placement="shipping"><span>([^]*?)<\/span><\/p>/g)).toHaveLength(2);
    expect(html).toContain(`<span>${escaped}</span></p>`);
    expect(withoutRuntime(html)).not.toContain("javascript:");
    expect(html).toContain(`<p data-valuebar="returns" data-valuebar-placement="returns"><span>Free returns</span> <a href="https://shop.example/returns">&lt;b&gt;&quot;Read&quot;&lt;/b&gt;</a></p>`);
    expect(withoutRuntime(html)).not.toContain("Fallback");
  });

  it("leaves a placement with nothing decided as the store wrote it", async () => {
    const html = await rewritePage(htmlPage(`<main>Socks</main><p data-valuebar="returns">Store's own returns text</p>`), payload({}), RUNTIME_JS).text();
    expect(html).toContain(`<p data-valuebar="returns">Store's own returns text</p>`);
  });

  it("writes no message the visitor dismissed, and gives the runtime null for its placement (it draws it neither)", async () => {
    const shipping = message("Ship free", { dismissible: true });
    const served: EdgePayload = { ...payload({ topbar: BAR, shipping }), dismissed: new Set(["topbar:spring", "returns:"]) };
    const page = htmlPage(`<div data-valuebar="topbar" class="slot"></div><main>Socks</main><p data-valuebar="shipping">Fallback</p>`);
    const html = await rewritePage(page, served, RUNTIME_JS).text();
    // No bar, and the slot unmarked: it reserves no height for a bar that is not there.
    expect(withoutRuntime(html)).not.toContain("Free express shipping");
    expect(html).toContain(`<body><div class="slot"></div><main>Socks</main>`);
    // Another placement's message, not dismissed, is written.
    expect(html).toContain(`<p data-valuebar="shipping" data-valuebar-placement="shipping"><span>Ship free</span>`);
    expect(inlinedPayload(html)).toMatchObject({ decision: { placements: { topbar: null, shipping, returns: null } } });

    // A dismissed default (`placement:`) is its own message: the campaign "spring" in that placement is still shown.
    const defaults = await rewritePage(htmlPage(`<main>Socks</main>`), { ...payload({ topbar: BAR }), dismissed: new Set(["topbar:"]) }, RUNTIME_JS).text();
    expect(withoutRuntime(defaults)).toContain("<span>Free express shipping</span>");
  });

  it("inlines the runtime once, before </head>, with the same decision and the store's origin for its beacons", async () => {
    const served: EdgePayload = { site: "demo", storeOrigin: STORE, decision: decisionWith({ topbar: message("</script><b>bar</b>") }), newVisitorId: "v_new", consent: true, token: "t.1" };
    const html = await rewritePage(htmlPage(`<main>Socks</main>`), served, RUNTIME_JS).text();
    expect(html.split("<script").length - 1).toBe(1);
    expect(html).toMatch(/<title>Store<\/title><script>\(function\(\)\{.*<\/script><\/head>/s);
    expect(html).toContain(RUNTIME_JS);
    // "</script>" in a message cannot end the inlined script: "<" is written as \u003c inside its JSON.
    expect(inlinedPayload(html)).toEqual({ site: "demo", decision: served.decision, edge: STORE, preview: true, newVisitorId: "v_new", token: "t.1" });
  });

  it("inlines the runtime with the bar when the head has no end tag", async () => {
    const html = await rewritePage(new Response("<html><head><title>x</title><body><main>Socks</main>", { headers: { "content-type": "text/html" } }), payload({ topbar: BAR }), RUNTIME_JS).text();
    expect(html).toMatch(/<title>x<\/title><body><div data-valuebar-placement="topbar">.*<\/template><\/div><script>\(function\(\)\{.*<\/script><main>Socks<\/main>$/s);
    expect(html.split("<script").length - 1).toBe(1);
  });

  it("without a bar, a head with no end tag gets the runtime at the page's end, once (nothing is placed at the body's start)", async () => {
    const page = "<html><head><title>x</title><body><main>Socks</main><p data-valuebar=shipping>x</p>";
    const html = await rewritePage(new Response(page, { headers: { "content-type": "text/html" } }), payload({ shipping: message("Ship") }), RUNTIME_JS).text();
    expect(html).toMatch(/<title>x<\/title><body><main>Socks<\/main><p data-valuebar=shipping data-valuebar-placement="shipping"><span>Ship<\/span><\/p><script>\(function\(\)\{.*<\/script>$/s);
    expect(html.split("<script").length - 1).toBe(1);
  });

  it("still inlines the runtime on a page with no head and no body tags", async () => {
    const html = await rewritePage(new Response("<p data-valuebar=shipping>x</p>", { headers: { "content-type": "text/html" } }), payload({ shipping: message("Ship") }), RUNTIME_JS).text();
    expect(html).toMatch(/<p data-valuebar=shipping data-valuebar-placement="shipping"><span>Ship<\/span><\/p><script>.*<\/script>$/s);
  });
});

describe("streaming", () => {
  /** An origin whose body the test controls: `send` writes the next piece of the page. */
  function controlledOrigin() {
    const encoder = new TextEncoder();
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    return {
      response: new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } }),
      send: (html: string) => controller?.enqueue(encoder.encode(html)),
      close: () => controller?.close(),
    };
  }

  /** Reads `reader` until what came so far contains `needle`; returns all of it. */
  async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, needle: string): Promise<string> {
    const decoder = new TextDecoder();
    while (!seen.text.includes(needle)) {
      const { done, value } = await reader.read();
      if (done) break;
      seen.text += decoder.decode(value, { stream: true });
    }
    return seen.text;
  }

  /**
   * The rewritten page of an origin that sends `first` at once and the rest of the page (`<main>Socks</main>` and the
   * end tags) 500 ms later, as a slow origin does (a database query for the product list). `restSent` says whether
   * the rest has been sent yet; `pause` settles when it has.
   */
  function pausedPage(first: string) {
    const origin = controlledOrigin();
    const reader = rewritePage(origin.response, payload({ topbar: BAR }), RUNTIME_JS).body?.getReader();
    if (!reader) throw new Error("no body");
    let restSent = false;
    origin.send(first);
    const pause = new Promise<void>((resolve) =>
      setTimeout(() => {
        restSent = true;
        origin.send(`<main>Socks</main></body></html>`);
        origin.close();
        resolve();
      }, 500),
    );
    return { reader, seen: { text: "" }, restSent: () => restSent, pause };
  }

  it("sends the rewritten head and the bar while the origin pauses 500 ms before the rest of the page", async () => {
    const { reader, seen, restSent, pause } = pausedPage(`<!doctype html><html><head><title>Slow store</title></head><body>`);
    // The head as rewritten (the runtime inlined before </head>) arrives before the origin sends the rest.
    expect(await readUntil(reader, seen, "</head>")).toContain("__vbr.run(");
    expect(restSent()).toBe(false);
    await pause;
    const whole = await readUntil(reader, seen, "</html>");
    expect(whole).toMatch(/<body><div data-valuebar-placement="topbar">.*<main>Socks<\/main>/s);
  });

  it("sends the bar as soon as the body's first element arrives, before the origin's pause ends", async () => {
    const { reader, seen, restSent, pause } = pausedPage(`<!doctype html><html><head><title>Slow store</title></head><body><header>Logo</header>`);
    expect(await readUntil(reader, seen, "<header>")).toContain("<span>Free express shipping</span>");
    expect(restSent()).toBe(false);
    await pause;
    expect(await readUntil(reader, seen, "</html>")).toContain("<main>Socks</main></body></html>");
  });
});

describe("Content-Security-Policy", () => {
  it("puts the policy's script and style nonces on the inlined script and the bar's style", async () => {
    const policy = "default-src 'self'; script-src 'nonce-r4nd0m+/=' 'strict-dynamic'; style-src 'self' 'nonce-st7le'";
    const res = rewritePage(htmlPage(`<main>Socks</main>`, `<script nonce="r4nd0m+/=" src="/theme.js"></script>`, { "content-security-policy": policy }), payload({ topbar: BAR }), RUNTIME_JS);
    const html = await res.text();
    expect(html).toMatch(/<script nonce="r4nd0m\+\/=">\(function\(\)\{/);
    expect(html).toContain(`<style nonce="st7le">`);
    expect(res.headers.get("content-security-policy")).toBe(policy);
  });

  it("takes the nonce from the page's own scripts when the policy is not in a header", async () => {
    const html = await rewritePage(htmlPage(`<main>Socks</main>`, `<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-abc123'"><script nonce="abc123">window.theme = 1;</script>`), payload({}), RUNTIME_JS).text();
    expect(html).toMatch(/<script nonce="abc123">\(function\(\)\{/);
  });

  it("writes no nonce that could break out of its attribute", async () => {
    const html = await rewritePage(htmlPage(`<main>Socks</main>`, `<script nonce='x"><img src=y>'>1</script>`, { "content-security-policy": `script-src 'nonce-"><b>'` }), payload({}), RUNTIME_JS).text();
    expect(html).toMatch(/<script>\(function\(\)\{/);
  });
});

describe("failing open", () => {
  const page = `<!doctype html><html><head><title>Store</title></head><body><main>Socks</main><p data-valuebar="shipping">Fallback</p></body></html>`;

  it("sends the origin's page unchanged, and says so in Server-Timing, when the decision cannot be written", async () => {
    const decision = decisionWith({});
    Object.defineProperty(decision.placements, "shipping", {
      get() {
        throw new Error("a decision that throws");
      },
    });
    const origin = new Response(page, { headers: { "content-type": "text/html", "content-length": String(page.length), "server-timing": "db;dur=12" } });
    const res = rewritePage(origin, { site: "demo", storeOrigin: STORE, decision }, RUNTIME_JS, { serverTiming: `kv;desc="reads=1"` });
    expect(await res.text()).toBe(page);
    expect(res.headers.get("server-timing")).toBe(`db;dur=12, kv;desc="reads=1", ${EDGE_TIMING.failOpen}`);
    expect(res.headers.get("content-length")).toBe(String(page.length));
  });

  it("sends the page unchanged when the runtime cannot be inlined", async () => {
    const res = rewritePage(new Response(page, { headers: { "content-type": "text/html" } }), payload({ shipping: message("Ship") }), `console.log("</script>")`);
    expect(await res.text()).toBe(page);
    expect(res.headers.get("server-timing")).toBe(EDGE_TIMING.failOpen);
  });
});

describe("headers", () => {
  it("keeps a rewritten page out of shared caches and drops what described the origin's bytes", async () => {
    const origin = htmlPage(`<main>Socks</main>`, "<title>Store</title>", {
      "cache-control": "public, max-age=600",
      "content-length": "90",
      etag: `"abc"`,
      "last-modified": "Wed, 21 Oct 2026 07:28:00 GMT",
      vary: "Accept-Encoding",
      "x-store": "kept",
    });
    const res = rewritePage(origin, payload({ topbar: BAR }), RUNTIME_JS, { serverTiming: `kv;desc="reads=0"` });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("vary")).toBe("Accept-Encoding, Cookie");
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("etag")).toBeNull();
    expect(res.headers.get("last-modified")).toBeNull();
    expect(res.headers.get("x-store")).toBe("kept");
    expect(res.headers.get("server-timing")).toBe(`kv;desc="reads=0", ${EDGE_TIMING.rewritten}`);
    await res.text();
  });

  it("adds Cookie to Vary only when the origin's Vary does not already cover it", async () => {
    const vary = async (value: string) => rewritePage(htmlPage("<main>x</main>", "", { vary: value }), payload({}), RUNTIME_JS).headers.get("vary");
    expect(await vary("Cookie, Accept-Encoding")).toBe("Cookie, Accept-Encoding");
    expect(await vary("*")).toBe("*");
    expect(await vary("X-Cookie-Consent")).toBe("X-Cookie-Consent, Cookie");
  });

  for (const encoding of ["gzip", "br"]) {
    it(`rewrites a page the origin sent ${encoding}-compressed, as fetch decodes it, and keeps its Content-Encoding`, async () => {
      // A real HTTP origin on the loopback (test/compressed-origin.ts): workerd's fetch decodes what it sends.
      const origin = await fetch(`${inject("compressedOrigin")}/${encoding}`);
      expect(origin.headers.get("content-encoding")).toBe(encoding);
      const res = rewritePage(origin, payload({ shipping: message("Free shipping today") }), RUNTIME_JS);
      // workerd compresses the answer again, as its Content-Encoding says, on its way to the visitor.
      expect(res.headers.get("content-encoding")).toBe(encoding);
      expect(res.headers.get("content-length")).toBeNull();
      const html = await res.text();
      expect(html).toContain(`<main>Socks, ${encoding}</main>`);
      expect(html).toContain(`<p data-valuebar="shipping" data-valuebar-placement="shipping"><span>Free shipping today</span></p>`);
    });
  }
});

describe("acceptsEncoding: whether the visitor takes the origin's Content-Encoding", () => {
  it.each([
    ["gzip, deflate, br, zstd", "br", true],
    ["gzip, deflate", "br", false],
    ["GZIP", "gzip", true],
    ["br;q=0, gzip", "br", false],
    ["br; q=0.5", "br", true],
    ["*", "br", true],
    ["*, br;q=0", "br", false],
    ["gzip;q=1, *;q=0", "br", false],
    ["identity", "gzip", false],
    ["", "gzip", false],
    [null, "gzip", false],
    [`${" ".repeat(300)}, br`, "br", false],
  ])("%j takes %s: %s", (header, encoding, expected) => {
    expect(acceptsEncoding(header, encoding)).toBe(expected);
  });
});
