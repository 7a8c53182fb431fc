/**
 * @module Drawing a message: the top bar in an open shadow root of its own (the store's CSS can't break it,
 * its CSS can't leak), shipping and returns as plain children of the store's marked elements (the store's
 * CSS styles them). Marketer text only ever goes in through `textContent`.
 */
import type { RenderedMessage } from "../../src/core/decide";
import { isSafeLink } from "../../src/core/safe";
import { PLACEMENT_ATTR } from "../../src/core/message-markup";
import { topBarCss } from "../../src/core/topbar-css";

// The attribute the Worker's markup marks a placement with (src/core/message-markup.ts): the runtime draws and adopts by it.
export { PLACEMENT_ATTR };

/** The page's document, under a name the minifier can shorten (it keeps a global's name at every use); cart.ts uses it too. */
export const doc = document;

/** A message on the page: the placement element it is in (the top bar's host) and the span holding its text. */
export type Rendered = [host: Element, span: HTMLSpanElement];

/** Called with what the visitor did to a message and the placement element it happened in. */
export type MessageHandler = (action: "click" | "dismiss", target: Element) => void;

/** A new element holding `text` as text (never markup). */
export const make = <K extends keyof HTMLElementTagNameMap>(tag: K, text = ""): HTMLElementTagNameMap[K] => {
  const element = doc.createElement(tag);
  element.textContent = text;
  return element;
};

/**
 * Appends `message` to `parent` as a span of text, its link when the URL is safe, and a dismiss button
 * when it is dismissible; returns the span, whose text changes with cart progress. `target` is the
 * placement element the handlers are told about.
 */
const appendMessage = (parent: ParentNode, target: Element, message: RenderedMessage, on: MessageHandler): HTMLSpanElement => {
  const span = parent.appendChild(make("span", message.text));
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
};

/** The store's slot for the top bar, when its page has one. */
const topBarSlot = () => doc.querySelector<HTMLElement>("[data-valuebar=topbar]");

/**
 * Inserts the top bar into the store's `[data-valuebar=topbar]` slot when it has one (where it can reserve
 * the bar's height, so nothing shifts), else as the first child of `<body>`; replaces one a previous run left.
 */
export const renderTopBar = (message: RenderedMessage, on: MessageHandler): Rendered => {
  const host = make("div");
  host.setAttribute(PLACEMENT_ATTR, "topbar");
  const root = host.attachShadow({ mode: "open" });
  const css = topBarCss(message);
  try {
    // A constructable stylesheet: a Content-Security-Policy's style-src refuses a <style>, not this.
    const sheet = new CSSStyleSheet();
    root.adoptedStyleSheets = [sheet];
    sheet.replaceSync(css);
  } catch {
    // A browser without constructable stylesheets (Safari before 16.4).
    root.append(make("style", css));
  }
  const span = appendMessage(root.appendChild(make("div")), host, message, on);
  const slot = topBarSlot();
  slot ? slot.replaceChildren(host) : doc.body.prepend(host);
  return [host, span];
};

/**
 * Gives back the height the store's slot reserved (its `min-height`) when no bar is in it: none for this visitor,
 * or dismissed. Through the CSS object model, which a Content-Security-Policy allows where a `style` attribute it
 * may not.
 */
export const closeEmptySlot = (): void => {
  const slot = topBarSlot();
  if (slot && !slot.querySelector(`[${PLACEMENT_ATTR}]`)) slot.style.minHeight = "0";
};

/** Renders into every `[data-valuebar={placement}]` element, replacing the fallback content it held. */
export const renderInline = (placement: string, message: RenderedMessage, on: MessageHandler): Rendered[] =>
  [...doc.querySelectorAll(`[data-valuebar=${placement}]`)].map((host) => {
    host.setAttribute(PLACEMENT_ATTR, placement);
    host.replaceChildren();
    return [host, appendMessage(host, host, message, on)];
  });

/**
 * Edge runtime: the elements the Worker wrote for `placement` (src/core/message-markup.ts), taken over as they are:
 * their link and dismiss button handed to `on`, nothing drawn again. A browser that does not attach a declarative
 * shadow root (Firefox before 123, Safari before 16.4) left the bar's `<template>` inert: it is attached here.
 */
export const adopt = (placement: string, on: MessageHandler): Rendered[] =>
  [...doc.querySelectorAll(`[${PLACEMENT_ATTR}=${placement}]`)].map((host) => {
    let box: ParentNode = host;
    if (placement == "topbar") {
      const root = host.shadowRoot || host.attachShadow({ mode: "open" });
      if (!root.childNodes.length) root.append((host.querySelector("template") as HTMLTemplateElement).content);
      box = root.lastElementChild as Element;
    }
    box.querySelectorAll("a,button").forEach((el) => ((el as HTMLElement).onclick = () => on(el.tagName == "A" ? "click" : "dismiss", host)));
    return [host, box.querySelector("span") as HTMLSpanElement];
  });

/** Takes a dismissed message off the page: the bar goes; a marked element is emptied and unmarked. */
export const clear = (host: Element): void => {
  if (host.shadowRoot) host.remove();
  else {
    host.replaceChildren();
    host.removeAttribute(PLACEMENT_ATTR);
  }
};
