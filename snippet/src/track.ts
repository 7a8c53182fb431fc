/**
 * @module What the runtime tells the store and the Worker: DOM events on the placement element, GA4 promotion
 * events in `window.dataLayer` when the store has one (campaigns only; a placement's default is no promotion),
 * and beacons to the Worker's events route (experiment clicks and dismissals, the store's conversions).
 */
import type { PlacementDecision } from "../../src/core/decide";
import { guard } from "./guard";
import { CUSTOMER_KEY, remove, save, SIGNATURE_KEY } from "./storage";

let sendBeacon: ((body: object) => void) | undefined;

/**
 * Points beacons at the Worker that served the snippet, as the visitor it was served for: the snippet's own
 * URL carries the Worker's origin and the store-signed `cid` and `sig`. The customer id and signature are kept
 * in the store's storage too, so a checkout pixel can send the purchase for the same unit.
 */
export function setupBeacons(src: string, site: string, vid: string | null): void {
  const url = new URL(src);
  const q = url.searchParams;
  const id = { vid: vid || q.get("vid"), cid: q.get("cid"), sig: q.get("sig") };
  // A page without a signed-in customer (logged out, another person) must not leave the last one's identity behind.
  if (id.cid && id.sig) save(CUSTOMER_KEY, id.cid), save(SIGNATURE_KEY, id.sig);
  else remove(CUSTOMER_KEY), remove(SIGNATURE_KEY);
  sendBeacon = (body) => navigator.sendBeacon(url.origin + "/v1/events/" + site, JSON.stringify({ ...body, ...id }));
}

/**
 * Sends an event to the Worker: nothing before `setupBeacons` (no consent, or no snippet URL), nothing once the
 * store withdraws consent, and never an error into the page.
 */
export const beacon = guard((body: object): void => {
  if (window.valuebar?.consent !== false) sendBeacon?.(body);
});

export type Action = "shown" | "click" | "dismiss";

/** Dispatches `valuebar:{action}` on `target`; it bubbles, so a listener on `document` sees every placement. */
export function emit(target: Element, action: Action, placement: string, decision: PlacementDecision): void {
  target.dispatchEvent(
    new CustomEvent("valuebar:" + action, {
      bubbles: true,
      detail: { placement, campaign: decision.campaign, variant: decision.variant },
    }),
  );
}

/** Pushes GA4 `view_promotion` / `select_promotion`, clearing the previous ecommerce object first as GA4 asks. */
export function promote(event: "view_promotion" | "select_promotion", placement: string, decision: PlacementDecision): void {
  const layer = window.dataLayer;
  if (!Array.isArray(layer) || decision.campaign == null) return;
  // Two pushes, not one push of two objects: some dataLayer wrappers read only the first argument.
  layer.push({ ecommerce: null });
  layer.push({
    event,
    ecommerce: {
      promotion_id: decision.campaign,
      promotion_name: decision.name ?? decision.campaign,
      creative_name: decision.variant,
      creative_slot: placement,
    },
  });
}
