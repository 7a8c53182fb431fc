/**
 * @module The decision: which message a visitor sees in each placement. A pure function of
 * (config, membership, visitor context, time) that imports nothing from Hono or the Workers runtime,
 * so the Worker, the editor preview and the tests all run the very same code.
 *
 * Per placement the eligible campaigns (enabled, in schedule, audience matched) are ranked by
 *   1. segment precedence: a campaign that targets the visitor's segments ranks by the highest of those
 *      segments in `config.segments`; campaigns without a segment audience rank after all of them;
 *   2. priority, higher first (default 0);
 *   3. order in the config.
 * The first one that can be shown wins and its variant is picked by `pickVariant`; with none, the
 * placement's default (if any) is shown. A unit picked for a variant switched off (`stopped`) sees the experiment's
 * baseline and is not counted.
 */
import { pickVariant } from "./bucket";
import type { Audience, Campaign, Config, Message, Variant } from "./config-schema";
import type { Device, Placement } from "./shared";
import { dismissibleByDefault, PLACEMENTS, targetedSegments } from "./shared";
import { baselineVariant, experimentKey, isExperiment } from "./experiment";
import { fillPlaceholders, formatMoneyCached } from "./money";
import { pathMatches } from "./path-pattern";

/** A customer's segments as stored, with an optional end (ms since epoch). */
export interface Membership {
  segments: string[];
  expiresAt?: number;
  /**
   * Numeric facts about the customer from the store's history (e.g. "net_revenue_365d"), which experiments adjust
   * for (CUPED, src/core/cuped.ts); absent when the import gave none. At most MAX_COVARIATES (./import-rows.ts).
   */
  covariates?: Record<string, number>;
}

export interface VisitorContext {
  /** First-party visitor id: the bucketing unit when the customer is not identified. */
  visitorId: string;
  /** The customer id, only when its signature checked out. */
  customerId: string | null;
  /** ISO 3166-1 alpha-2, from `request.cf.country` or the store's override. */
  country: string | null;
  /** Path of the storefront page, e.g. "/products/wool-socks". */
  path: string;
  /** False on the visitor's first page load in this browser. */
  returning: boolean;
  device: Device;
  /** The store's currency for this visitor when known (ISO 4217). */
  currency: string | null;
  /** BCP 47 locale for money formatting. */
  locale: string;
  /** False when the store signals no consent: the visitor is in no experiment and nothing is counted. */
  consent: boolean;
}

export interface RenderedMessage {
  text: string;
  link?: { url: string; label?: string };
  style?: Message["style"];
  dismissible: boolean;
  /** Cart progress toward free shipping: the runtime fills `{{remaining}}` from the cart total. */
  progress?: { threshold: number; currency: string; locale: string; text: string; reached?: string };
}

export interface PlacementDecision {
  /** Null when the placement's default is shown outside any campaign. */
  campaign: string | null;
  /** The campaign's display name, when it has one (GA4 `promotion_name`). */
  name?: string;
  variant: string | null;
  /** Set on an experiment's control: the message is the placement's default. */
  control?: true;
  message: RenderedMessage;
}

/** A unit seeing an experiment's variant (or control), for the Worker to count. */
export interface Exposure {
  campaign: string;
  /** The experiment's key: the campaign id, plus its seed when it has one. */
  experiment: string;
  variant: string;
}

export interface Decision {
  visitor: {
    id: string;
    identified: boolean;
    returning: boolean;
    country: string | null;
    device: Device;
  };
  placements: Record<Placement, PlacementDecision | null>;
  /** The experiments this decision enrolls the visitor in, one per placement at most. */
  exposures: Exposure[];
}

/** The decision when nothing is known or something failed: show nothing. */
export function emptyDecision(context: VisitorContext): Decision {
  return {
    visitor: visitorSummary(context),
    placements: { topbar: null, shipping: null, returns: null },
    exposures: [],
  };
}

/**
 * Decides every placement for one visitor.
 *
 * @example
 * decide(config, { segments: ["vip"] }, context, Date.now()).placements.topbar?.message.text
 */
export function decide(config: Config, membership: Membership | null, context: VisitorContext, now: number): Decision {
  const segments = activeSegments(membership, now);
  const prepared = preparedConfig(config);
  const unit = context.customerId ?? context.visitorId;
  const placements = {} as Record<Placement, PlacementDecision | null>;
  const exposures: Exposure[] = [];
  for (const placement of PLACEMENTS) {
    const { shown, exposure } = decidePlacement(config, prepared, placement, segments, unit, context, now);
    placements[placement] = shown;
    if (exposure) exposures.push(exposure);
  }
  return { visitor: visitorSummary(context), placements, exposures };
}

function visitorSummary(context: VisitorContext): Decision["visitor"] {
  return {
    id: context.visitorId,
    identified: context.customerId !== null,
    returning: context.returning,
    country: context.country,
    device: context.device,
  };
}

/** Whether a stored membership still counts at `now` (it has no `expiresAt`, or that lies ahead). */
export function isCurrent(membership: Membership | null, now: number): membership is Membership {
  return membership !== null && (membership.expiresAt === undefined || membership.expiresAt > now);
}

/** Segments that still count at `now`. */
export function activeSegments(membership: Membership | null, now: number): ReadonlySet<string> {
  return isCurrent(membership, now) ? new Set(membership.segments) : new Set();
}

/** What a config's campaigns are, worked out once per config rather than per request (see `preparedConfig`). */
interface PreparedCampaign {
  campaign: Campaign;
  /** Its position in `config.campaigns`, the last tie-breaker. */
  index: number;
  /** The schedule as times: -Infinity and Infinity when open, NaN (never live) when unreadable. */
  start: number;
  end: number;
  experiment: boolean;
  targeted: readonly string[];
}

interface PreparedConfig {
  precedence: ReadonlyMap<string, number>;
  /** The enabled campaigns of each placement, in config order. */
  campaigns: Record<Placement, PreparedCampaign[]>;
}

// Isolate-wide (in the Worker), keyed by the config object and gone with it: the live config stays the same object
// while cached (src/storage/live-config.ts), so each request no longer parses schedules, counts weighted variants
// and builds the precedence map again. A config is never changed once decided on (the Worker's are parsed from KV
// or a request and only read), which is what makes keying by the object right.
const prepared = new WeakMap<Config, PreparedConfig>();

function preparedConfig(config: Config): PreparedConfig {
  let entry = prepared.get(config);
  if (!entry) {
    const campaigns = Object.fromEntries(PLACEMENTS.map((p) => [p, [] as PreparedCampaign[]])) as Record<Placement, PreparedCampaign[]>;
    config.campaigns.forEach((campaign, index) => {
      if (campaign.enabled === false) return;
      const { start, end } = campaign.schedule ?? {};
      campaigns[campaign.placement].push({
        campaign,
        index,
        start: start === undefined ? Number.NEGATIVE_INFINITY : Date.parse(start),
        end: end === undefined ? Number.POSITIVE_INFINITY : Date.parse(end),
        experiment: isExperiment(campaign),
        targeted: targetedSegments(campaign.audience),
      });
    });
    entry = { precedence: new Map(config.segments.map((segment, i) => [segment, i])), campaigns };
    prepared.set(config, entry);
  }
  return entry;
}

function decidePlacement(
  config: Config,
  { precedence, campaigns }: PreparedConfig,
  placement: Placement,
  segments: ReadonlySet<string>,
  unit: string,
  context: VisitorContext,
  now: number,
): { shown: PlacementDecision | null; exposure?: Exposure } {
  // Live (enabled, in schedule: NaN compares false) and for this visitor; ranked by segment, priority, config order.
  const ranked: { entry: PreparedCampaign; rank: number }[] = [];
  for (const entry of campaigns[placement]) {
    if (entry.start <= now && now < entry.end && matchesAudience(entry.campaign.audience, segments, context)) {
      ranked.push({ entry, rank: segmentRank(entry.targeted, segments, precedence) });
    }
  }
  if (ranked.length > 1) {
    ranked.sort((a, b) => a.rank - b.rank || (b.entry.campaign.priority ?? 0) - (a.entry.campaign.priority ?? 0) || a.entry.index - b.entry.index);
  }

  const fallback = config.defaults[placement];
  const shownDefault = () => (fallback ? renderMessage(fallback, placement, context) : null);
  for (const { entry } of ranked) {
    const { campaign, experiment } = entry;
    // An experiment reaches a visitor only if every one of its messages can be shown to them (a threshold in
    // their currency): deciding that after assignment would drop units from some variants and not others.
    if (experiment && campaign.variants.some((v) => v.weight > 0 && v.message && !renderMessage(v.message, placement, context))) continue;
    const assigned = assignedVariant(campaign, experiment, unit, context);
    if (!assigned) continue;
    // A unit of a stopped variant sees the baseline uncounted: the baseline's population stays the one its weight
    // drew, and the stopped variant's figures freeze where the guardrail (or the marketer) stopped it.
    const variant = assigned.stopped ? baselineVariant(campaign) : assigned;
    if (!variant) continue;
    const exposure = experiment && context.consent && !assigned.stopped ? { campaign: campaign.id, experiment: experimentKey(campaign), variant: variant.id } : undefined;
    const named = { campaign: campaign.id, ...(campaign.name ? { name: campaign.name } : {}), variant: variant.id };
    if (variant.control) {
      // The holdout sees what the placement shows without this campaign: its default, or nothing.
      const message = shownDefault();
      return { shown: message ? { ...named, control: true, message } : null, ...(exposure ? { exposure } : {}) };
    }
    const message = variant.message ? renderMessage(variant.message, placement, context) : null;
    if (message) return { shown: { ...named, message }, ...(exposure ? { exposure } : {}) };
  }
  const message = shownDefault();
  return { shown: message ? { campaign: null, variant: null, message } : null };
}

/** The unit's variant; a visitor without consent is not enrolled in an experiment and sees its baseline. */
function assignedVariant(campaign: Campaign, experiment: boolean, unit: string, context: VisitorContext): Variant | undefined {
  if (experiment && !context.consent) return baselineVariant(campaign);
  return pickVariant(experimentKey(campaign), unit, campaign.variants);
}

/** Rank of the highest-precedence segment through which the campaign reaches this visitor (`targeted`: targetedSegments of its audience). */
function segmentRank(targeted: readonly string[], segments: ReadonlySet<string>, precedence: ReadonlyMap<string, number>): number {
  let rank = Number.POSITIVE_INFINITY;
  if (segments.size === 0) return rank;
  for (const segment of targeted) {
    if (segments.has(segment)) rank = Math.min(rank, precedence.get(segment) ?? Number.POSITIVE_INFINITY);
  }
  return rank;
}

/** Whether every condition of the audience holds for this visitor; no audience means everyone. */
export function matchesAudience(audience: Audience | undefined, segments: ReadonlySet<string>, context: VisitorContext): boolean {
  if (!audience) return true;
  const rule = audience.segments;
  if (rule?.any && !rule.any.some((s) => segments.has(s))) return false;
  if (rule?.all && !rule.all.every((s) => segments.has(s))) return false;
  if (rule?.none && rule.none.some((s) => segments.has(s))) return false;
  if (audience.countries && (context.country === null || !audience.countries.includes(context.country))) return false;
  if (audience.paths && !audience.paths.some((pattern) => pathMatches(pattern, context.path))) return false;
  if (audience.visitor && (audience.visitor === "returning") !== context.returning) return false;
  if (audience.devices && !audience.devices.includes(context.device)) return false;
  return true;
}

// Currency of a visitor's country, for messages with per-currency thresholds when the store did not say.
const EURO = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK";
const COUNTRY_CURRENCY: Record<string, string> = {
  US: "USD", CA: "CAD", GB: "GBP", AU: "AUD", NZ: "NZD", JP: "JPY", CH: "CHF", SE: "SEK", NO: "NOK",
  DK: "DKK", PL: "PLN", CZ: "CZK", IN: "INR", BR: "BRL", MX: "MXN",
  ...Object.fromEntries(EURO.split(" ").map((c) => [c, "EUR"])),
};

/**
 * The currency to show a message's amounts in: the store's currency for the visitor, else the
 * country's, else the message's first. Null when the store's currency has no amount in the message:
 * then the message is skipped rather than shown with a wrong currency.
 */
export function messageCurrency(threshold: Record<string, number>, context: VisitorContext): string | null {
  if (context.currency) return context.currency in threshold ? context.currency : null;
  const local = context.country ? COUNTRY_CURRENCY[context.country] : undefined;
  if (local && local in threshold) return local;
  return Object.keys(threshold)[0] ?? null;
}

// Isolate-wide (in the Worker): formatted thresholds by locale, currency and amount. Even with its formatter kept
// (formatMoneyCached), formatting ran ICU and built `resolvedOptions()` per request, a fifth of the anonymous
// snippet's CPU in the bench's profile (bench/README.md); a store has a few thresholds. Kept here, not in money.ts,
// which the runtime shares and whose every byte counts there.
const thresholdTexts = new Map<string, string>();
const MAX_THRESHOLD_TEXTS = 1_024;

function thresholdText(amount: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}|${amount}`;
  let text = thresholdTexts.get(key);
  if (text === undefined) {
    text = formatMoneyCached(amount, currency, locale);
    if (thresholdTexts.size >= MAX_THRESHOLD_TEXTS) thresholdTexts.clear();
    thresholdTexts.set(key, text);
  }
  return text;
}

/**
 * `fillPlaceholders`, skipping the regular expression for a text without a placeholder (most of them); the Worker's
 * hot path only: the runtime, which shares money.ts, has no bytes to spare.
 */
function fill(text: string, values: Record<string, string>): string {
  return text.includes("{{") ? fillPlaceholders(text, values) : text;
}

/** A message as the runtime shows it, placeholders filled; null when it cannot be shown to this visitor. */
export function renderMessage(message: Message, placement: Placement, context: VisitorContext): RenderedMessage | null {
  const values: Record<string, string> = {};
  let money: { amount: number; currency: string } | undefined;
  if (message.threshold) {
    const currency = messageCurrency(message.threshold, context);
    const amount = currency === null ? undefined : message.threshold[currency];
    if (currency === null || amount === undefined) return null;
    money = { amount, currency };
    values.threshold = thresholdText(amount, currency, context.locale);
  }
  const rendered: RenderedMessage = {
    text: fill(message.text, values),
    dismissible: message.dismissible ?? dismissibleByDefault(placement),
  };
  if (message.link) rendered.link = message.link;
  if (message.style) rendered.style = message.style;
  if (message.progress && money) {
    rendered.progress = {
      threshold: money.amount,
      currency: money.currency,
      // The runtime formats {{remaining}} in the same locale as {{threshold}} was formatted here.
      locale: context.locale,
      text: fill(message.progress.text, values),
      ...(message.progress.reached ? { reached: fill(message.progress.reached, values) } : {}),
    };
  }
  return rendered;
}
