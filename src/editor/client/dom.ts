/**
 * @module The editor's few DOM helpers: elements built with text (never HTML), buttons with an accessible name,
 * and the status line of the page's header. Marketer text only ever goes in through `textContent`.
 */

/** An element with text (never HTML) and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A button whose accessible name (`label`) may say more than its text. */
export function button(text: string, label: string, onClick: () => void, kind = "link"): HTMLButtonElement {
  const b = el("button", { type: "button", class: kind, "aria-label": label }, text);
  b.onclick = onClick;
  return b;
}

/** Says `text` in the header's status line (announced: it is a `role="status"` region). */
export function showStatus(text: string): void {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}
