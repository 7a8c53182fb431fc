/**
 * @module The limits of experiment counting that the Worker, the config schema and the browser runtime share:
 * one home, so the runtime never remembers an experiment for less time than a conversion may still count, and
 * never sends more experiments than the events route takes. Values only: the runtime bundles this file.
 */

/** The longest conversion window a campaign may set: 90 days (a literal: the runtime's bundle does not fold 90 * 864e5). */
export const MAX_CONVERSION_WINDOW_MS = 7_776_000_000;
/** The same in hours, as `experiment.conversionWindowHours` counts: 2160. */
export const MAX_CONVERSION_WINDOW_HOURS = MAX_CONVERSION_WINDOW_MS / 3_600_000;

/**
 * The most experiments one event may name. A page shows at most one experiment per placement and a shopper meets
 * few in 90 days, so 10 is plenty; it bounds the shard calls of one event whatever its body says.
 */
export const MAX_EVENT_EXPERIMENTS = 10;

/**
 * The largest order value counted, in minor units, for a currency the site's `orderValueCap` does not list
 * (10,000.00 in a currency with cents). Bigger orders count at the cap, and the results say how many were capped.
 */
export const DEFAULT_ORDER_VALUE_CAP = 1_000_000;
