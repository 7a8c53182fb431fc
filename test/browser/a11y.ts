/**
 * @module Accessibility checks of an editor page in Chromium: every control has a name, and every text reaches
 * WCAG AA contrast (4.5:1) with the background it sits on. Every editor suite checks its pages and dialogs with these.
 */
import type { Page } from "playwright-core";

/** The controls (inputs, selects, textareas, buttons) without an accessible name, as the start of their HTML. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (node: Element) => {
      const labelled = node.id && document.querySelector(`label[for="${node.id}"]`);
      return Boolean(node.getAttribute("aria-label") || labelled || node.closest("label") || (node.tagName === "BUTTON" && node.textContent?.trim()));
    };
    return [...document.querySelectorAll("input, select, textarea, button")].filter((node) => !named(node)).map((node) => node.outerHTML.slice(0, 80));
  });
}

/** The texts (under `root`) with a contrast below 4.5:1 against their background. */
export function poorContrast(page: Page, root = "body"): Promise<string[]> {
  return page.evaluate((root) => {
    const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (node: Element | null): number[] => {
      for (let n = node; n; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c[3] ?? 0) > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const found: string[] = [];
    for (const node of document.querySelectorAll(`${root} *`)) {
      const own = [...node.childNodes].some((child) => child.nodeType === Node.TEXT_NODE && child.textContent?.trim());
      if (!own || node.closest("svg")) continue;
      const fg = luminance(rgb(getComputedStyle(node).color));
      const bg = luminance(background(node));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) found.push(`${node.tagName} "${node.textContent?.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return found;
  }, root);
}
