/**
 * @module What changed between two configs, in words a marketer reads in the history: campaigns added, removed
 * or changed (texts, weights, schedule, audience, priority), defaults and segment precedence. Pure.
 *
 * @example
 * describeChanges(v1, v2) // ['campaign "vip-express": variant "early" text "Early access" → "VIP early access"']
 */
import type { Campaign, Config, Message, Variant } from "./config-schema";
import { PLACEMENTS } from "./shared";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const quote = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** One line per change, in config order; ["no changes"] when the two are the same. */
export function describeChanges(before: Config | null, after: Config): string[] {
  if (!before) return ["first version"];
  const lines: string[] = [];

  const addedSegments = after.segments.filter((s) => !before.segments.includes(s));
  const removedSegments = before.segments.filter((s) => !after.segments.includes(s));
  if (addedSegments.length) lines.push(`segments added: ${addedSegments.join(", ")}`);
  if (removedSegments.length) lines.push(`segments removed: ${removedSegments.join(", ")}`);
  const kept = (list: string[], other: string[]) => list.filter((s) => other.includes(s));
  if (!same(kept(before.segments, after.segments), kept(after.segments, before.segments))) {
    lines.push(`segment precedence is now ${after.segments.join(" > ")}`);
  }
  lines.push(...descriptionChanges(before.segmentDescriptions ?? {}, after.segmentDescriptions ?? {}));

  for (const campaign of after.campaigns) {
    const old = before.campaigns.find((c) => c.id === campaign.id);
    if (!old) lines.push(`campaign "${campaign.id}" added (${campaign.placement}, ${campaign.variants.length} variant(s))`);
    else lines.push(...campaignChanges(old, campaign));
  }
  for (const campaign of before.campaigns) {
    if (!after.campaigns.some((c) => c.id === campaign.id)) lines.push(`campaign "${campaign.id}" removed`);
  }

  for (const placement of PLACEMENTS) {
    const was = before.defaults[placement] ?? null;
    const now = after.defaults[placement] ?? null;
    if (same(was, now)) continue;
    if (!was && now) lines.push(`default ${placement} added: ${quote(now.text)}`);
    else if (was && !now) lines.push(`default ${placement} removed`);
    else if (was && now) lines.push(...messageChanges(`default ${placement}`, was, now));
  }
  if (!same(before.orderValueCap ?? {}, after.orderValueCap ?? {})) {
    const caps = Object.entries(after.orderValueCap ?? {}).map(([currency, cap]) => `${currency} ${cap}`);
    lines.push(`order value cap ${caps.length ? `now ${caps.join(", ")} (minor units)` : "back to the default"}`);
  }
  return lines.length ? lines : ["no changes"];
}

/** Segment descriptions added, changed or removed, by segment. */
function descriptionChanges(was: Record<string, string>, now: Record<string, string>): string[] {
  const lines: string[] = [];
  for (const [segment, text] of Object.entries(now)) {
    const old = was[segment];
    if (old === undefined) lines.push(`segment "${segment}" described as ${quote(text)}`);
    else if (old !== text) lines.push(`segment "${segment}" description ${quote(old)} → ${quote(text)}`);
  }
  for (const segment of Object.keys(was)) if (!(segment in now)) lines.push(`segment "${segment}" description removed`);
  return lines;
}

function campaignChanges(old: Campaign, now: Campaign): string[] {
  const name = `campaign "${now.id}"`;
  const lines: string[] = [];
  if (old.enabled !== now.enabled && (old.enabled === false || now.enabled === false)) lines.push(`${name} ${now.enabled === false ? "paused" : "resumed"}`);
  if (old.placement !== now.placement) lines.push(`${name} moved from ${old.placement} to ${now.placement}`);
  if ((old.priority ?? 0) !== (now.priority ?? 0)) lines.push(`${name} priority ${old.priority ?? 0} → ${now.priority ?? 0}`);
  if (old.name !== now.name) lines.push(`${name} renamed to ${quote(now.name ?? now.id)}`);
  if (!same(old.schedule, now.schedule)) lines.push(`${name} schedule ${describeSchedule(now)}`);
  if (!same(old.audience, now.audience)) lines.push(`${name} audience changed`);
  if (!same(old.experiment, now.experiment)) {
    lines.push(old.experiment?.seed !== now.experiment?.seed ? `${name} experiment restarted (seed ${now.experiment?.seed ?? "none"})` : `${name} experiment settings changed`);
  }
  for (const variant of now.variants) {
    const was = old.variants.find((v) => v.id === variant.id);
    if (!was) lines.push(`${name}: variant "${variant.id}" added (weight ${variant.weight})`);
    else lines.push(...variantChanges(`${name}: variant "${variant.id}"`, was, variant));
  }
  for (const variant of old.variants) {
    if (!now.variants.some((v) => v.id === variant.id)) lines.push(`${name}: variant "${variant.id}" removed`);
  }
  return lines;
}

function variantChanges(label: string, was: Variant, now: Variant): string[] {
  const lines: string[] = [];
  if (was.weight !== now.weight) lines.push(`${label} weight ${was.weight} → ${now.weight}`);
  if (!!was.control !== !!now.control) lines.push(`${label} ${now.control ? "is now the control" : "is no longer the control"}`);
  if (!was.stopped && now.stopped) lines.push(`${label} switched off${now.stopped.by === "guardrail" ? " by the guardrail" : ""}`);
  if (was.stopped && !now.stopped) lines.push(`${label} switched back on`);
  if (was.message && now.message) lines.push(...messageChanges(label, was.message, now.message));
  else if (now.message) lines.push(`${label} now shows ${quote(now.message.text)}`);
  else if (was.message) lines.push(`${label} no longer shows a message`);
  return lines;
}

function messageChanges(label: string, was: Message, now: Message): string[] {
  const lines: string[] = [];
  if (was.text !== now.text) lines.push(`${label} text ${quote(was.text)} → ${quote(now.text)}`);
  if (!same(was.link, now.link)) lines.push(now.link ? `${label} link ${now.link.url}` : `${label} link removed`);
  if (!same(was.style, now.style)) lines.push(`${label} style changed`);
  if ((was.dismissible ?? null) !== (now.dismissible ?? null)) lines.push(`${label} ${now.dismissible ? "can be dismissed" : "dismissible setting changed"}`);
  if (!same(was.threshold, now.threshold)) {
    lines.push(`${label} threshold ${Object.entries(now.threshold ?? {}).map(([c, v]) => `${c} ${v}`).join(", ") || "removed"}`);
  }
  if (!same(was.progress, now.progress)) lines.push(`${label} free-shipping progress changed`);
  return lines;
}

function describeSchedule(campaign: Campaign): string {
  const { start, end } = campaign.schedule ?? {};
  if (!start && !end) return "removed";
  return `${start ? `from ${start}` : ""}${start && end ? " " : ""}${end ? `until ${end}` : ""}`;
}
