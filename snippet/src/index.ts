/// <reference path="./build-flags.d.ts" />
/**
 * @module The valuebar runtime: shows a visitor the messages the Worker decided for them. The Worker
 * serves `GET /v1/s/{site}.js` as `(function(){` + this bundle (an IIFE named `__vbr`) +
 * `\n__vbr.run(` + the JSON payload + `)})();`, loaded async by the store's page.
 */
import type { Decision, PlacementDecision } from "../../src/core/decide";
import { type Cart, showProgress, toCart, watchCart } from "./cart";
import { guard } from "./guard";
import { adopt, clear, closeEmptySlot, doc, make, renderInline, renderTopBar, type MessageHandler, PLACEMENT_ATTR, type Rendered } from "./render";
import { begin, consented, isDismissed, load, rememberDismissal, rememberExperiments, save, VISITOR_KEY } from "./storage";
import { beacon, emit, promote, setupBeacons } from "./track";
import { PLACEMENTS } from "../../src/core/shared";

/** What the Worker passes to `run`. */
export interface SnippetPayload {
  site: string;
  decision: Decision;
  /** Set when the request carried no visitor id and the server made one up: the runtime keeps it. */
  newVisitorId?: string;
  /** False when the request said `consent=0`: the runtime stores and sends nothing. */
  consent?: false;
  /** For a signed-in customer: the short-lived token their events are counted with (see src/platform/events-token.ts). */
  token?: string;
  /**
   * Set when the edge rewrite wrote the messages into the page (src/edge/rewrite.ts): the store's origin as the
   * visitor sees it, where the Worker takes the beacons (the inlined runtime has no script URL to take it from).
   */
  edge?: string;
  /**
   * Set on the answer to a preview request (the draft's decision when its token is valid, else the live one),
   * so the runtime never asks again.
   */
  preview?: true;
}

/** `window.valuebar`: the store's own fields (such as `cart`) stay; the runtime adds `setCart` and `decision`. */
export interface ValuebarApi {
  /** The store's consent switch: `false` means store nothing and send nothing (set it before the loader). */
  consent?: unknown;
  cart?: { total?: unknown; currency?: unknown } | null;
  /** Tells the runtime the cart total in minor units, e.g. `setCart(4250, "EUR")`. */
  setCart?: (total: number, currency?: string) => void;
  /** Sends a conversion to the Worker: `track("add_to_cart")`, `track("purchase", {value, currency, order_id})`. */
  track?: (type: string, data?: object) => void;
  /** A copy of the decision, fresh on every read: changing it changes nothing. */
  readonly decision?: Decision | null;
}

declare global {
  interface Window {
    valuebar?: ValuebarApi;
    dataLayer?: unknown;
    Shopify?: { routes?: { root?: unknown } } | null;
  }
}


/** Shows a message with free-shipping progress, in one of the spans it is in, as it reads for this cart. */
type Painter = (cart: Cart | undefined) => void;

/**
 * Shows the decided messages once the body exists and wires up the cart, dismissals and events.
 * Never throws, whatever `payload` holds.
 *
 * @example
 * __vbr.run({ site: "demo", decision, newVisitorId: "v_3f9a" });
 */
export const run = guard((payload: SnippetPayload) => {
  const { decision, newVisitorId, token } = payload;
  const script = __EDGE__ ? null : (doc.currentScript as HTMLScriptElement | null);
  begin(payload.consent !== false && window.valuebar?.consent !== false, token);
  save(VISITOR_KEY, newVisitorId);
  experiments = (decision?.exposures ?? []).map((e) => e.campaign);
  if (consented) setupBeacons(__EDGE__ ? payload.edge : script?.src, payload.site, load(VISITOR_KEY) || newVisitorId, token, rememberExperiments(experiments));
  if (!__EDGE__) {
    // A marketer's preview link (`?valuebar_preview=…` on a store page) asks again, for the draft's decision;
    // that run replaces this one. The Worker checks the signed, expiring token: shoppers never have one. (In edge
    // mode the Worker answers the link itself.)
    const preview = location.search.match(/valuebar_preview=([\w.]+)/);
    if (preview && script && !payload.preview) {
      const again = make("script");
      again.src = script.src + "&preview=" + preview[1];
      doc.head.append(again);
    }
  }

  const painters: Painter[] = [];
  let cart: Cart | undefined;
  const paint = () => painters.forEach((painter) => painter(cart));
  // A total that is not one leaves the cart as it was.
  const setCart = (total: unknown, currency: unknown) => {
    cart = toCart(total, currency) || cart;
    paint();
  };

  guard(() => {
    const current = window.valuebar;
    const api: ValuebarApi = current && typeof current == "object" ? current : (window.valuebar = {});
    setCart(api.cart?.total, api.cart?.currency);
    api.setCart = guard(setCart);
    api.track = beacon;
    const json = JSON.stringify(decision ?? null);
    Object.defineProperty(api, "decision", { get: () => JSON.parse(json), configurable: true, enumerable: true });
  })();

  const start = guard(() => {
    // Script mode draws afresh (a preview's run replaces the first run's messages); edge mode takes over the Worker's.
    if (!__EDGE__) doc.querySelectorAll(`[${PLACEMENT_ATTR}]`).forEach(clear);
    // Each placement on its own: one that fails leaves the others shown.
    PLACEMENTS.forEach(guard((placement) => painters.push(...show(placement, decision?.placements?.[placement]))));
    closeEmptySlot();
    paint();
    if (painters.length) watchCart(setCart, !!cart);
  });
  if (doc.readyState == "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
});

// The campaigns of this page's decision that are experiments: their clicks and dismissals are counted.
let experiments: string[] = [];

/**
 * Renders one placement unless it has nothing valid to show or the visitor dismissed it; returns a painter for each
 * span of a message with free-shipping progress (the others never change).
 */
const show = (placement: (typeof PLACEMENTS)[number], decision: PlacementDecision | null | undefined): Painter[] => {
  // A placement's default is `placement:`: see isDismissed. dismissalKey (src/core/dismissal.ts) written out: terser
  // leaves that call as an IIFE, 6 bytes gzip more.
  const key = placement + ":" + (decision?.campaign ?? "");
  let rendered: Rendered[] = [];
  if (typeof decision?.message?.text != "string" || isDismissed(key)) {
    // The Worker drew a message dismissed in this browser but missing from its cookie (older than the cookie's
    // newest keys, or a cookie Safari let expire): it goes at once.
    if (__EDGE__) adopt(placement, () => {}).forEach(([host]) => clear(host));
    return [];
  }
  const { campaign, variant, message } = decision;
  const detail = { placement, campaign, variant };

  const on: MessageHandler = guard((action, target) => {
    emit(target, action, detail);
    if (experiments.includes(campaign as string)) beacon(action, { campaign, variant });
    if (action == "click") promote("select", placement, decision);
    else {
      rememberDismissal(key);
      // After the event: a top bar taken out of the page would no longer bubble it to `document`.
      for (const [host] of rendered) clear(host);
      closeEmptySlot();
    }
  });
  rendered = __EDGE__ ? adopt(placement, on) : placement == "topbar" ? [renderTopBar(message, on)] : renderInline(placement, message, on);
  for (const [host] of rendered) emit(host, "shown", detail);
  if (rendered.length) promote("view", placement, decision);
  return message.progress
    ? rendered.map(([, span]) => (cart) => showProgress(span, message, cart))
    : [];
};
