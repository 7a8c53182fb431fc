/**
 * @module The top bar's stylesheet, one home for the two renderers: the runtime adopts it in the bar's shadow root
 * (snippet/src/render.ts), the edge rewrite writes it into a declarative shadow root (src/core/message-markup.ts), so
 * a bar painted by the server looks exactly like one the runtime draws.
 */
import type { RenderedMessage } from "./decide";
import { HEX_COLOUR } from "./safe";

/**
 * The bar's stylesheet; only values that pass HEX_COLOUR or name a known option reach it. The host is a grid, so
 * the bar fills the height of a slot that is one (the README's CSS reserves a slot's height that way), its text
 * centred: a slot reserved for two lines holding a one-line message shows no gap.
 */
export const topBarCss = (message: RenderedMessage): string => {
  const s = message.style ?? {};
  // A value that is not a string reaches the CSS as its string form, which is what the pattern checked.
  const hex = (value: unknown, fallback: string) => (HEX_COLOUR.test(value as string) ? value : fallback);
  // `!important` on :host beats even the store's `!important` rules for the host element.
  return (
    `:host{all:initial!important;display:grid!important}` +
    `div{position:relative;align-content:center;padding:10px ${message.dismissible === true ? 44 : 16}px;` +
    `background:${hex(s.background, "#111")};color:${hex(s.color, "#fff")};` +
    `font:${s.size == "small" ? 12 : s.size == "large" ? 16 : 14}px/1.4 system-ui,sans-serif;` +
    `text-align:${s.align == "left" || s.align == "right" ? s.align : "center"}}` +
    `a{color:${hex(s.linkColor, "inherit")}}` +
    // The dismiss button spans the bar's height on the right, so its × is centred without a transform.
    "button{position:absolute;inset:0 0 0 auto;padding:0 12px;border:0;background:0;color:inherit;font:20px sans-serif;cursor:pointer}"
  );
};
