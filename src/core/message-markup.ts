/**
 * @module A decided message as HTML, for the edge rewrite to write into the store's page: the same elements, text
 * and styles the runtime draws (snippet/src/render.ts), so the first paint is the final look and the runtime adopts
 * what the server wrote instead of drawing it again. Marketer text only ever goes in escaped, as text; a link only
 * when isSafeLink allows it.
 */
import type { RenderedMessage } from "./decide";
import { isSafeLink } from "./safe";
import { topBarCss } from "./topbar-css";

/** The attribute that marks a placement element the runtime drew or adopted (the runtime's PLACEMENT_ATTR). */
export const PLACEMENT_ATTR = "data-valuebar-placement";

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` as HTML text or a quoted attribute value: it can open no tag, entity or attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * The children the runtime's appendMessage makes: the text in a span, then its link when safe, then a dismiss button
 * when dismissible, each after a space. `×` as an entity: right whatever the page's charset.
 */
export function messageMarkup(message: RenderedMessage): string {
  let html = `<span>${escapeHtml(message.text)}</span>`;
  const link = message.link;
  if (typeof link?.url == "string" && isSafeLink(link.url)) {
    html += ` <a href="${escapeHtml(link.url)}">${escapeHtml(link.label || "Learn more")}</a>`;
  }
  if (message.dismissible === true) html += ` <button type="button" aria-label="Dismiss">&times;</button>`;
  return html;
}

/**
 * The top bar as the runtime draws it, its shadow root declared in the HTML (`<template shadowrootmode>`) so the
 * browser attaches it while parsing: the bar is in the first paint, styled, and the store's CSS can't reach it.
 * `styleNonce` is the page's style nonce when its Content-Security-Policy asks for one. No whitespace between the
 * tags: the runtime finds the bar's box as the shadow root's last child.
 */
export function topBarMarkup(message: RenderedMessage, styleNonce?: string): string {
  const nonce = styleNonce ? ` nonce="${escapeHtml(styleNonce)}"` : "";
  return (
    `<div ${PLACEMENT_ATTR}="topbar"><template shadowrootmode="open">` +
    `<style${nonce}>${topBarCss(message).replace(/</g, "\\3c ")}</style><div>${messageMarkup(message)}</div></template></div>`
  );
}
