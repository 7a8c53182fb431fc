/**
 * @module What the runtime remembers in the visitor's browser: the visitor id the server made up and the
 * messages they dismissed. localStorage may be blocked (privacy modes, sandboxed frames) or full, so every
 * access is wrapped: without storage the visitor is simply not remembered.
 */

export const VISITOR_KEY = "valuebar_vid";
/** The signed-in customer's id and signature, for a checkout pixel to send purchases as the same unit. */
export const CUSTOMER_KEY = "valuebar_cid";
export const SIGNATURE_KEY = "valuebar_sig";
const DISMISSED_KEY = "valuebar_dismissed";

// False once the store signals no consent: from then on the runtime writes nothing and sends nothing.
export let consented = true;

/** From now on nothing is stored or sent; what an earlier page view kept about the visitor is removed. */
export const withholdConsent = (): void => {
  consented = false;
  for (const key of [VISITOR_KEY, CUSTOMER_KEY, SIGNATURE_KEY]) remove(key);
};

export function remove(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // Blocked storage holds nothing to remove.
  }
}

export function save(key: string, value: string): void {
  if (!consented) return;
  try {
    localStorage.setItem(key, value);
  } catch {
    // Blocked or full storage: nothing to remember with.
  }
}

export function load(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Dismissed messages as `{"placement:campaign": dismissedAt}`. */
function dismissedMap(): Record<string, number> {
  try {
    const map: unknown = JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? "{}");
    return map && typeof map == "object" ? (map as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** The key a dismissal is remembered under; a placement's default counts as campaign "default". */
export const dismissKey = (placement: string, campaign: string | null): string => placement + ":" + (campaign ?? "default");

export const isDismissed = (key: string): boolean => !!dismissedMap()[key];

export function rememberDismissal(key: string): void {
  const map = dismissedMap();
  map[key] = Date.now();
  save(DISMISSED_KEY, JSON.stringify(map));
}
