/** The edge rewrite's premise: HTMLRewriter runs in the tests' workerd, streaming, on a page split across chunks. */
import { describe, expect, it } from "vitest";

describe("HTMLRewriter in workerd", () => {
  it("rewrites a marked element and inserts after <body> opens, across chunk boundaries", async () => {
    const chunks = ['<!doctype html><html><head></head><bo', 'dy class="x"><header data-valuebar="topbar">', "old</header><p>rest</p></body></html>"];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const rewritten = new HTMLRewriter()
      .on('[data-valuebar="topbar"]', { element: (element) => void element.setInnerContent("Free shipping <today>") })
      .on("body", { element: (element) => void element.prepend("<!--vb-->", { html: true }) })
      .transform(new Response(body, { headers: { "content-type": "text/html" } }));
    expect(await rewritten.text()).toBe(
      '<!doctype html><html><head></head><body class="x"><!--vb--><header data-valuebar="topbar">Free shipping &lt;today&gt;</header><p>rest</p></body></html>',
    );
  });
});
