/**
 * @module The inline loader a store pastes into its pages: small enough to inline, and a script tag
 * that carries the snippet URL as a string whatever characters the URL holds.
 */
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { LOADER_TEMPLATE, loaderTag } from "../../src/core/loader";

const [BEFORE = "", AFTER = ""] = LOADER_TEMPLATE.split("__URL__");

/** The snippet URL as the browser's JS parser reads it back from the tag (the literal is JSON). */
function urlIn(tag: string): string {
  const open = `<script>${BEFORE}`;
  const close = `${AFTER}</script>`;
  expect(tag.startsWith(open)).toBe(true);
  expect(tag.endsWith(close)).toBe(true);
  return JSON.parse(tag.slice(open.length, tag.length - close.length)) as string;
}

describe("LOADER_TEMPLATE", () => {
  it("is at most 400 bytes around the URL", () => {
    expect(LOADER_TEMPLATE.split("__URL__")).toHaveLength(2);
    expect(new TextEncoder().encode(BEFORE + AFTER).byteLength).toBeLessThanOrEqual(400);
  });
});

describe("the install guide in README.md", () => {
  it("shows the loader exactly as the Worker writes it, with its true size", () => {
    const htmlExample = `<script>${BEFORE}"https://valuebar.example.workers.dev/v1/s/my-store.js?currency=EUR"${AFTER}</script>`;
    expect(readme).toContain(htmlExample);
    expect(readme).toContain(`<script>${BEFORE}{{ valuebar_url | strip_newlines | strip | json }}${AFTER}</script>`);
    expect(readme.match(/\((\d+) bytes\s+around the URL\)/)?.[1]).toBe(String(new TextEncoder().encode(BEFORE + AFTER).byteLength));
  });
});

describe("loaderTag", () => {
  it("puts the snippet URL in as a string literal", () => {
    const url = "https://valuebar.example/v1/s/demo.js?cid=1001&sig=ab12&currency=EUR";
    const tag = loaderTag(url);
    expect(tag).toBe(`<script>${BEFORE}"${url}"${AFTER}</script>`);
    expect(urlIn(tag)).toBe(url);
  });

  it("escapes < so the URL can neither close the script element nor open a comment in it", () => {
    const url = 'https://x.example/s.js?a=</script><script>alert(1)</script><!--<script>"';
    const tag = loaderTag(url);
    expect(tag.slice("<script>".length, -"</script>".length)).not.toContain("<");
    expect(tag.match(/<\/script/gi)).toHaveLength(1);
    expect(urlIn(tag)).toBe(url);
  });

  // `$` is a valid URL character, but in String.prototype.replace's replacement string "$`", "$'" and
  // "$&" splice in parts of the template: "$`" pastes the code before the URL, quotes included.
  it.each(["https://x.example/s.js?sig=$&", "https://x.example/s.js?sig=$'", "https://x.example/s.js?sig=$`", "https://x.example/s.js?sig=$$"])(
    "keeps the URL as it is when it holds a $ pattern: %s",
    (url) => {
      expect(urlIn(loaderTag(url))).toBe(url);
    },
  );
});
