/**
 * @module An experiment's variants as the marketer knows them: each with its share of the weight and its message
 * text as shoppers read it (the threshold filled in, in its first currency), or "Control: the default".
 */
import type { Campaign, Variant } from "../../../core/config-schema";
import { fillPlaceholders, formatMoney } from "../../../core/money";

/** The variant's message as shoppers read it. */
export function variantText(variant: Variant): string {
  const message = variant.message;
  if (!message) return "Control: the default";
  const [currency, minor] = Object.entries(message.threshold ?? {})[0] ?? [];
  return currency === undefined || minor === undefined ? message.text : fillPlaceholders(message.text, { threshold: formatMoney(minor, currency, navigator.language) });
}

/** The variant's share of the campaign's weight, in whole percent. */
export function sharePercent(campaign: Campaign, variant: Variant): number {
  const total = campaign.variants.reduce((sum, v) => sum + v.weight, 0);
  return total > 0 ? Math.round((variant.weight / total) * 100) : 0;
}
