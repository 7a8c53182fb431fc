/// <reference path="./build-flags.d.ts" />
/**
 * @module What the runtime remembers in the visitor's browser: the visitor id the server made up, the
 * signed-in customer's short-lived events token, the experiments the visitor was shown lately and the messages
 * they dismissed. localStorage may be blocked (privacy modes, sandboxed frames) or full, so every access is
 * wrapped: without storage the visitor is simply not remembered.
 */
import { DISMISSED_COOKIE, DISMISSED_SEPARATOR, MAX_DISMISSED_COOKIE_KEYS } from "../../src/core/dismissal";
import { MAX_CONVERSION_WINDOW_MS, MAX_EVENT_EXPERIMENTS } from "../../src/core/shared";
import { guard } from "./guard";
import { doc } from "./render";

export const VISITOR_KEY = "valuebar_vid";
/** The signed-in customer's events token (a few days valid, good for nothing but events), for a checkout pixel. */
export const TOKEN_KEY = "valuebar_token";
/** `{"campaign": lastShownAt}`: the experiments a conversion is sent to (a checkout pixel reads it). */
export const EXPERIMENTS_KEY = "valuebar_experiments";
// The same name as the cookie: one string in the bundle.
const DISMISSED_KEY = DISMISSED_COOKIE;
/**
 * What each page view removes before it keeps its own: the last customer's events token, and what earlier versions
 * kept, the customer id and its permanent signature, readable by every script on the page.
 */
const STALE_KEYS = [TOKEN_KEY, "valuebar_cid", "valuebar_sig"];

// False once the store signals no consent: from then on the runtime writes nothing and sends nothing.
export let consented = true;

/**
 * A page view's start. Without `consent`, what earlier page views kept about the visitor is removed and from now on
 * nothing is stored or sent. The last customer's events token and what earlier versions kept are removed; this
 * page's token is kept for a checkout pixel (a page without one, logged out or another person, keeps none). Storage
 * only: it cannot throw.
 */
export const begin = (consent: boolean, token: unknown): void => {
  if (!consent) {
    consented = false;
    [VISITOR_KEY, EXPERIMENTS_KEY].forEach(remove);
  }
  STALE_KEYS.forEach(remove);
  save(TOKEN_KEY, token);
};

/**
 * Stamps this page's experiments as shown now, drops those shown longer ago than the longest conversion window and
 * keeps the newest MAX_EVENT_EXPERIMENTS; returns their campaign ids, the `experiments` every beacon carries.
 */
export const rememberExperiments = (campaigns: string[]): string[] => {
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
};

// Blocked or full storage throws: guarded, nothing is removed or remembered.
export const remove = guard((key: string) => localStorage.removeItem(key));

/** Keeps `value` under `key` when it is a string (from a payload, it may be anything) and the store allows it. */
export const save = guard((key: string, value: unknown) => {
  if (consented && typeof value == "string") localStorage.setItem(key, value);
});

/** The value under `key`; null or undefined when there is none or storage is blocked. */
export const load = (key: string): string | null | undefined => {
  try {
    return localStorage.getItem(key);
  } catch {
    // Blocked storage: nothing is known.
  }
};

/** The `{name: time}` map kept under `key`; empty when there is none, it is not JSON or storage is blocked. */
const loadMap = (key: string): Record<string, number> => {
  try {
    // JSON.parse(null) is null; undefined (blocked storage) throws.
    const map: unknown = JSON.parse(load(key) as string);
    if (map && typeof map == "object") return map as Record<string, number>;
  } catch {
    // Not JSON: another script's doing.
  }
  return {};
};

/**
 * Whether the message under `key` was dismissed. Keys are `placement:campaign`, and `placement:` for a
 * placement's default, which no campaign id can give (ids are slugs, never empty): a campaign called "default" is
 * its own message.
 */
export const isDismissed = (key: string): unknown => loadMap(DISMISSED_KEY)[key];

/**
 * Keeps the dismissal in localStorage and, in the edge runtime, the newest keys in a first-party cookie, so the
 * Worker leaves the message out of the next page. 99999999 s is "as long as the browser keeps it" (Chrome and Firefox
 * cap a cookie at 400 days, Safari one a script writes at 7; then the runtime still takes a dismissed message away).
 * Not HttpOnly (the runtime writes it) and not Secure: it says only which messages were closed, and a store's
 * http:// development host needs it too.
 */
export const rememberDismissal = (key: string): void => {
  const map = loadMap(DISMISSED_KEY);
  map[key] = Date.now();
  save(DISMISSED_KEY, JSON.stringify(map));
  if (__EDGE__ && consented) doc.cookie = DISMISSED_KEY + "=" + Object.keys(map).slice(-MAX_DISMISSED_COOKIE_KEYS).join(DISMISSED_SEPARATOR) + ";path=/;max-age=99999999";
};
