/**
 * @module Drawing a message: the top bar in an open shadow root of its own (the store's CSS can't break it,
 * its CSS can't leak), shipping and returns as plain children of the store's marked elements (the store's
 * CSS styles them). Marketer text only ever goes in through `textContent`.
 */
import type { RenderedMessage } from "../../src/core/decide";
import { HEX_COLOUR, isSafeLink } from "../../src/core/safe";

export const PLACEMENT_ATTR = "data-valuebar-placement";

/** A message on the page: the placement element it is in (the top bar's host) and the span holding its text. */
export type Rendered = [host: Element, span: HTMLSpanElement];

/** Called with what the visitor did to a message and the placement element it happened in. */
export type MessageHandler = (action: "click" | "dismiss", target: Element) => void;

/** A new element holding `text` as text (never markup). */
function make<K extends keyof HTMLElementTagNameMap>(tag: K, text = ""): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

/**
 * Appends `message` to `parent` as a span of text, its link when the URL is safe, and a dismiss button
 * when it is dismissible; returns the span, whose text changes with cart progress. `target` is the
 * placement element the handlers are told about.
 */
function appendMessage(parent: ParentNode, target: Element, message: RenderedMessage, on: MessageHandler): HTMLSpanElement {
  const span = make("span", message.text);
  parent.append(span);
  const link = message.link;
  if (typeof link?.url == "string" && isSafeLink(link.url)) {
    const a = make("a", link.label || "Learn more");
    a.href = link.url;
    a.onclick = () => on("click", target);
    parent.append(" ", a);
  }
  if (message.dismissible === true) {
    const button = make("button", "\u00d7");
    // Not "submit": a shipping message often sits inside the product form.
    button.type = "button";
    button.setAttribute("aria-label", "Dismiss");
    button.onclick = () => on("dismiss", target);
    parent.append(" ", button);
  }
  return span;
}

/** The bar's stylesheet; only values that passed the checks above reach it. */
function topBarCss(style: RenderedMessage["style"], dismissible: boolean): string {
  const s = style ?? {};
  const hex = (value: unknown, fallback: string) => (typeof value == "string" && HEX_COLOUR.test(value) ? value : fallback);
  const align = s.align == "left" || s.align == "right" ? s.align : "center";
  const size = s.size == "small" ? 12 : s.size == "large" ? 16 : 14;
  // `!important` on :host beats even the store's `!important` rules for the host element.
  return (
    ":host{all:initial!important;display:block!important}" +
    `div{position:relative;padding:10px ${dismissible ? 44 : 16}px;background:${hex(s.background, "#111")};` +
    `color:${hex(s.color, "#fff")};font:${size}px/1.4 system-ui,sans-serif;text-align:${align}}` +
    `a{color:${hex(s.linkColor, "inherit")}}` +
    // The dismiss button spans the bar's height on the right, so its × is centred without a transform.
    "button{position:absolute;top:0;bottom:0;right:0;padding:0 12px;border:0;background:0;color:inherit;font:20px sans-serif;cursor:pointer}"
  );
}

/**
 * Inserts the top bar into the store's `[data-valuebar=topbar]` slot when it has one (where it can reserve
 * the bar's height, so nothing shifts), else as the first child of `<body>`; replaces one a previous run left.
 */
export function renderTopBar(message: RenderedMessage, on: MessageHandler): Rendered {
  document.querySelector(`[${PLACEMENT_ATTR}=topbar]`)?.remove();
  const host = make("div");
  host.setAttribute(PLACEMENT_ATTR, "topbar");
  const bar = make("div");
  host.attachShadow({ mode: "open" }).append(make("style", topBarCss(message.style, message.dismissible === true)), bar);
  const span = appendMessage(bar, host, message, on);
  const slot = document.querySelector("[data-valuebar=topbar]");
  slot ? slot.replaceChildren(host) : document.body.prepend(host);
  return [host, span];
}

/** Renders into every `[data-valuebar={placement}]` element, replacing the fallback content it held. */
export function renderInline(placement: string, message: RenderedMessage, on: MessageHandler): Rendered[] {
  return [...document.querySelectorAll(`[data-valuebar=${placement}]`)].map((host) => {
    host.setAttribute(PLACEMENT_ATTR, placement);
    host.replaceChildren();
    return [host, appendMessage(host, host, message, on)];
  });
}

/** Takes a dismissed message off the page: the bar goes; a marked element is emptied and unmarked. */
export function clear(host: Element): void {
  if (host.shadowRoot) host.remove();
  else {
    host.replaceChildren();
    host.removeAttribute(PLACEMENT_ATTR);
  }
}
