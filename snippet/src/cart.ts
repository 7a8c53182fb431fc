/**
 * @module The cart total behind free-shipping progress: where the runtime reads it, how it hears that the
 * cart changed, and the text a progress message shows for a total.
 */
import type { RenderedMessage } from "../../src/core/decide";
import { fillPlaceholders, formatMoney } from "../../src/core/money";
import { guard } from "./guard";
import { doc } from "./render";

/** A cart: its total in minor units (cents), and its currency (none or "" means the store's own). */
export type Cart = [total: number, currency: string | false];

/** A cart from untrusted input (store code, attributes, `/cart.js`); undefined unless the total is a number. */
export const toCart = (total: unknown, currency: unknown): Cart | undefined => {
  // An attribute is a string: "" or "  " is no total, not a total of 0.
  const value = typeof total == "string" && total.trim() ? +total : total;
  // Number.isFinite is false for anything that is not a number: no string or object gets through.
  if (Number.isFinite(value)) return [value as number, typeof currency == "string" && currency];
};

/**
 * Shows in `span` the text for `message` with this cart: the progress text with `{{remaining}}` while below the
 * threshold, the reached text once at it, and the plain text when the total is unknown, in another currency, or
 * anything about the progress is malformed.
 */
export const showProgress = (span: HTMLSpanElement, message: RenderedMessage, cart: Cart | undefined): void => {
  // No progress (or a malformed one) throws below, inside the try: the plain text.
  const progress = message.progress as NonNullable<RenderedMessage["progress"]>;
  let text = message.text;
  try {
    if (cart && (!cart[1] || cart[1] == progress.currency)) {
      const remaining = progress.threshold - cart[0];
      // Not `else`: a remaining of NaN (a malformed threshold) is neither, and shows the plain text.
      if (remaining > 0) text = fillPlaceholders(progress.text, { remaining: formatMoney(remaining, progress.currency, progress.locale) });
      else if (remaining <= 0 && progress.reached) text = progress.reached;
    }
  } catch {
    // An unknown currency or a malformed progress: the plain text is still right.
  }
  if (span.textContent != text) span.textContent = text;
};

// Shopify's cart endpoints that change the cart (add.js, change.js, update.js, clear.js, and their non-JS forms).
const CART_CHANGE = /\/cart\/(add|change|update|clear)/;

/**
 * Follows the cart and calls `set` with every total it learns; the most recent wins. The first total comes
 * from the first source the page has: `window.valuebar.cart` (then `known` is true), the `[data-cart-total]`
 * element, Shopify's `/cart.js`. Later ones come from the `valuebar:cart` event, the element's changes, and
 * on Shopify a refetch after the theme changed the cart.
 */
export const watchCart = (set: (total: unknown, currency: unknown) => void, known: boolean): void => {
  doc.addEventListener(
    "valuebar:cart",
    guard((event: Event) => {
      const detail = (event as CustomEvent<{ total?: unknown; currency?: unknown } | null>).detail;
      set(detail?.total, detail?.currency);
    }),
  );

  // The element's last reading: a mutation elsewhere on the page must not replay an unchanged total
  // over a newer one from setCart.
  let seen: string | undefined;
  const readElement = (apply: boolean) => {
    const element = doc.querySelector("[data-cart-total]");
    const total = element?.getAttribute("data-cart-total");
    const currency = element?.getAttribute("data-cart-currency");
    const reading = total + " " + currency;
    if (apply && reading != seen) set(total, currency);
    seen = reading;
  };
  readElement(!known);
  // childList too: cart drawers often re-render the element rather than change its attribute. (An
  // attributeFilter implies `attributes: true`.)
  new MutationObserver(guard(() => readElement(true))).observe(doc, {
    subtree: true,
    childList: true,
    attributeFilter: ["data-cart-total", "data-cart-currency"],
  });

  const shopify = window.Shopify;
  if (!shopify || known || doc.querySelector("[data-cart-total]")) return;
  const root = shopify.routes?.root;
  const refetch = () => {
    // The shopper's cart cookie goes along: "same-origin" is fetch's default credentials mode.
    fetch((typeof root == "string" ? root : "/") + "cart.js")
      .then((response) => response.json())
      .then((cart: { total_price?: unknown; currency?: unknown }) => set(cart.total_price, cart.currency))
      .catch(() => {});
  };
  refetch();
  // The theme changes the cart with its own requests; a finished one shows up as a resource entry.
  new PerformanceObserver(
    guard((list: PerformanceObserverEntryList) => {
      if (list.getEntries().some((entry) => CART_CHANGE.test(entry.name))) refetch();
    }),
  ).observe({ type: "resource" });
};
