/**
 * @module What the runtime remembers in the visitor's browser: the visitor id the server made up, the
 * signed-in customer's short-lived events token, the experiments the visitor was shown lately and the messages
 * they dismissed. localStorage may be blocked (privacy modes, sandboxed frames) or full, so every access is
 * wrapped: without storage the visitor is simply not remembered.
 */
import { MAX_CONVERSION_WINDOW_MS, MAX_EVENT_EXPERIMENTS } from "../../src/core/shared";

export const VISITOR_KEY = "valuebar_vid";
/** The signed-in customer's events token (a few days valid, good for nothing but events), for a checkout pixel. */
export const TOKEN_KEY = "valuebar_token";
/** `{"campaign": lastShownAt}`: the experiments a conversion is sent to (a checkout pixel reads it). */
export const EXPERIMENTS_KEY = "valuebar_experiments";
const DISMISSED_KEY = "valuebar_dismissed";
/** What earlier versions kept: the customer id and its permanent signature, readable by every script on the page. */
const LEGACY_KEYS = ["valuebar_cid", "valuebar_sig"];

// False once the store signals no consent: from then on the runtime writes nothing and sends nothing.
export let consented = true;

/** From now on nothing is stored or sent; what an earlier page view kept about the visitor is removed. */
export const withholdConsent = (): void => {
  consented = false;
  [VISITOR_KEY, TOKEN_KEY, EXPERIMENTS_KEY].forEach(remove);
};

/**
 * Keeps this page's events token for a checkout pixel, or forgets the last customer's on a page without one (logged
 * out, another person); always removes what earlier versions kept. Storage only: it cannot throw.
 */
export function keepToken(token: unknown): void {
  LEGACY_KEYS.forEach(remove);
  typeof token == "string" ? save(TOKEN_KEY, token) : remove(TOKEN_KEY);
}

/**
 * Stamps this page's experiments as shown now, drops those shown longer ago than the longest conversion window and
 * keeps the newest MAX_EVENT_EXPERIMENTS; returns their campaign ids, the `experiments` every beacon carries.
 */
export function rememberExperiments(campaigns: string[]): string[] {
  const now = Date.now();
  const seen = loadMap(EXPERIMENTS_KEY);
  for (const campaign of campaigns) seen[campaign] = now;
  // Newest first. What is too old or too many is deleted from the map that is saved (`delete` gives true, so
  // `!delete` leaves it out of the list). A stamp that is not a number (another script's doing) is NaN: too old.
  const kept = Object.keys(seen)
    .filter((c) => now - (seen[c] as number) < MAX_CONVERSION_WINDOW_MS || !delete seen[c])
    .sort((a, b) => (seen[b] as number) - (seen[a] as number))
    .filter((c, i) => i < MAX_EVENT_EXPERIMENTS || !delete seen[c]);
  save(EXPERIMENTS_KEY, JSON.stringify(seen));
  return kept;
}

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

/** The value under `key`; null or undefined when there is none or storage is blocked. */
export function load(key: string): string | null | undefined {
  try {
    return localStorage.getItem(key);
  } catch {
    // Blocked storage: nothing is known.
  }
}

/** The `{name: time}` map kept under `key`; empty when there is none, it is not JSON or storage is blocked. */
function loadMap(key: string): Record<string, number> {
  try {
    const map: unknown = JSON.parse(load(key) || "0");
    return map && typeof map == "object" ? (map as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/**
 * Whether the message under `key` was dismissed. Keys are `placement:campaign`, and `placement:` for a
 * placement's default, which no campaign id can give (ids are slugs, never empty): a campaign called "default" is
 * its own message.
 */
export const isDismissed = (key: string): unknown => loadMap(DISMISSED_KEY)[key];

export function rememberDismissal(key: string): void {
  const map = loadMap(DISMISSED_KEY);
  map[key] = Date.now();
  save(DISMISSED_KEY, JSON.stringify(map));
}
