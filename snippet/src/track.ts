/**
 * @module What the runtime tells the store: DOM events on the placement element, and GA4 promotion events
 * in `window.dataLayer` when the store has one (campaigns only; a placement's default is no promotion).
 */
import type { PlacementDecision } from "../../src/core/decide";

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
