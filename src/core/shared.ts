/**
 * @module The ids, limits and small predicates that the Worker, the editor, the snippet build and the CLI all
 * follow, in one place. Zod-free and dependency-free, so the browser bundles (snippet, editor) can import it for a
 * few bytes; the zod schemas wrap these same patterns with their messages.
 *
 * @example
 * SEGMENT_ID.test("vip") // true
 * const seen = new FirstLines(); seen.repeat("1001", 2); seen.repeat("1001", 7) // "customer \"1001\" is already on line 2"
 */

/** Where a message can go on a store page, in the order the grid and the decision list them. */
export const PLACEMENTS = ["topbar", "shipping", "returns"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const DEVICES = ["mobile", "tablet", "desktop"] as const;
export type Device = (typeof DEVICES)[number];

/** A segment, campaign, variant or seed id: 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit. */
export const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const SEGMENT_ID_RULE = "1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit";

/** The longest description a segment may have (`segmentDescriptions`): a line the editor shows with the segment. */
export const MAX_SEGMENT_DESCRIPTION = 200;

/** A site id: 1-64 lowercase letters, digits or '-' (the '-' escaped so the source also works as an HTML `pattern`). */
export const SITE_ID = /^[a-z0-9\-]{1,64}$/;
export const SITE_ID_RULE = "1-64 lowercase letters, digits or '-'";

/** The visitor id the loader makes and the runtime keeps. */
export const VISITOR_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** An ISO 4217 currency code such as EUR. */
export const CURRENCY_CODE = /^[A-Z]{3}$/;
export const CURRENCY_RULE = "use an ISO 4217 currency code such as EUR";

/** An ISO 3166-1 alpha-2 country code such as US. */
export const COUNTRY_CODE = /^[A-Z]{2}$/;
export const COUNTRY_RULE = "use an ISO 3166-1 alpha-2 code such as US";

/** Rows in one import request (the Worker's limit; the editor and `segments push` batch files by it). */
export const MAX_IMPORT_ROWS = 10_000;

// Experiment counting: the runtime never remembers an experiment for less time than a conversion may still count,
// and never sends more experiments than the events route takes.
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

/**
 * The metrics a campaign may name as guardrails (`experiment.guardrails`): when the sequential test finds a variant
 * significantly worse on one, the guardrail switches the variant off (src/storage/guardrail-check.ts).
 */
export const GUARDRAIL_METRICS = ["netRevenuePerVisitor", "refundRate", "revenuePerVisitor", "purchase"] as const;
export type GuardrailMetric = (typeof GUARDRAIL_METRICS)[number];

/** The segments a campaign reaches visitors through: those its audience names in `any` and `all` (`none` excludes). */
export function targetedSegments(audience: { segments?: { any?: readonly string[]; all?: readonly string[] } } | undefined): string[] {
  return [...(audience?.segments?.any ?? []), ...(audience?.segments?.all ?? [])];
}

/**
 * Customers met so far in a batch or file, by the line they were first on: a customer listed twice is an error,
 * since which row should win is not ours to guess.
 */
export class FirstLines {
  private readonly first = new Map<string, number>();

  /** Null the first time `customerId` is seen (on `line`); afterwards, the message naming the line it was first on. */
  repeat(customerId: string, line: number): string | null {
    const first = this.first.get(customerId);
    if (first === undefined) {
      this.first.set(customerId, line);
      return null;
    }
    return `customer ${JSON.stringify(customerId)} is already on line ${first}`;
  }

  clear(): void {
    this.first.clear();
  }
}

/**
 * Whether shoppers can dismiss a message that does not say: a top bar sits over the store and can be closed; a
 * message in the page's own flow (shipping, returns) cannot. The decision and the editor's checkbox follow it.
 */
export function dismissibleByDefault(placement: Placement): boolean {
  return placement === "topbar";
}
