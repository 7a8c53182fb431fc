/**
 * @module What the runtime tells the store and the Worker: DOM events on the placement element, GA4 promotion
 * events in `window.dataLayer` when the store has one (campaigns only; a placement's default is no promotion),
 * and beacons to the Worker's events route (experiment clicks and dismissals, the store's conversions).
 */
import type { PlacementDecision } from "../../src/core/decide";
import { guard } from "./guard";

let sendBeacon: ((body: object) => void) | undefined;

/**
 * Points beacons at the Worker that served the snippet (the snippet URL's origin), as the visitor it was served
 * for: the visitor id, the signed-in customer's events token from the payload (never the store's `sig`), and the
 * experiments a conversion counts for.
 */
export const setupBeacons = guard((src: string | undefined, site: string, vid: string | null | undefined, token: unknown, experiments: string[]) => {
  // No script URL (an inline copy of the snippet): `new URL` throws, and there are no beacons.
  const url = new URL(src as string);
  const id = { vid: vid || url.searchParams.get("vid"), token, experiments };
  sendBeacon = (body) => navigator.sendBeacon(url.origin + "/v1/events/" + site, JSON.stringify({ ...body, ...id }));
});

/**
 * Sends an event of `type` with `data` to the Worker (`valuebar.track` itself): nothing before `setupBeacons` (no consent, or no snippet URL), nothing once the
 * store withdraws consent, and never an error into the page.
 */
export const beacon = guard((type: string, data?: object): void => {
  if (window.valuebar?.consent !== false) sendBeacon?.({ ...data, type });
});

export type Action = "shown" | "click" | "dismiss";

/** What a `valuebar:*` event says: which placement, and the campaign and variant shown there (null for its default). */
export type EventDetail = Pick<PlacementDecision, "campaign" | "variant"> & { placement: string };

/** Dispatches `valuebar:{action}` on `target`; it bubbles, so a listener on `document` sees every placement. */
export const emit = (target: Element, action: Action, detail: EventDetail): void => {
  // A copy each time: a listener that changes its event's detail changes no other event's.
  target.dispatchEvent(new CustomEvent("valuebar:" + action, { bubbles: true, detail: { ...detail } }));
};

/** Pushes GA4 `view_promotion` / `select_promotion`, clearing the previous ecommerce object first as GA4 asks. */
export const promote = (event: "view" | "select", placement: string, decision: PlacementDecision): void => {
  const layer = window.dataLayer;
  if (!Array.isArray(layer) || decision.campaign == null) return;
  // Two pushes, not one push of two objects: some dataLayer wrappers read only the first argument.
  layer.push({ ecommerce: null });
  layer.push({
    event: event + "_promotion",
    ecommerce: {
      promotion_id: decision.campaign,
      promotion_name: decision.name ?? decision.campaign,
      creative_name: decision.variant,
      creative_slot: placement,
    },
  });
};
