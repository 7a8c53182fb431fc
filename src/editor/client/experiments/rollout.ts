/**
 * @module Ending an experiment from its results, as a new version, the way growth teams do: "Stop the test" sends
 * everyone to its baseline (the control, else the first weighted variant: what the results compare with, and what
 * visitors without consent already see); "Roll out" sends everyone to the variant chosen. Either gives that variant
 * the whole weight and the others 0: they keep their place, so rolling the version back in the history brings the
 * test back under the same key, with its figures. A dialog shows each variant's share before and after, and only a
 * yes publishes (with a note naming what was done). The working copy gets the same weights, so publishing it later
 * does not bring the test back.
 */
import type { Campaign, Config, Variant } from "../../../core/config-schema";
import { baselineVariant } from "../../../core/experiment";
import { ApiError } from "../api";
import { confirmDialog } from "../confirm";
import { button, showStatus } from "../dom";
import type { Editor } from "../editor";
import { pendingText } from "../publish/history";
import { hasChanges } from "../state";
import { sharePercent, variantText } from "./variants";

/** The "Stop the test" button of an experiment; none for a role that may not publish. */
export function stopButton(editor: Editor, campaign: Campaign): HTMLButtonElement[] {
  const baseline = baselineVariant(campaign);
  if (!mayPublish(editor) || !baseline) return [];
  return [button("Stop the test", `Stop the test ${campaign.name ?? campaign.id}`, () => void endTest(editor, campaign.id, baseline.id, "stop"), "secondary")];
}

/** The "Roll out … to everyone" button of a variant; none for a role that may not publish. */
export function rolloutButton(editor: Editor, campaign: Campaign, variant: Variant): HTMLButtonElement[] {
  if (!mayPublish(editor)) return [];
  const label = `Roll out ${variant.id} to everyone`;
  return [button(label, label, () => void endTest(editor, campaign.id, variant.id, "rollout"), "secondary")];
}

/** Analysts read results; the owner and editors publish. */
export function mayPublish(editor: Editor): boolean {
  return editor.api.role === "owner" || editor.api.role === "editor";
}

/** Gives `winner` the whole weight of the campaign `id` in the live config, after a yes, as a new version. */
async function endTest(editor: Editor, id: string, winner: string, how: "stop" | "rollout"): Promise<void> {
  // The live config as it is now, so a version published meanwhile is not undone.
  const live = await editor.api.config();
  if (live instanceof ApiError) return showStatus(`Nothing changed: the live config could not be read (${live.status})`);
  const campaign = live.campaigns.find((c) => c.id === id);
  const chosen = campaign?.variants.find((v) => v.id === winner);
  if (!campaign || !chosen) return showStatus(`Nothing changed: ${id} is no longer in the live config`);
  const name = campaign.name ?? campaign.id;
  const confirmed = await confirmDialog({
    title: how === "stop" ? `Stop the test ${name}?` : `Roll out ${winner} to everyone?`,
    intro: `Everyone will see ${winner}: ${variantText(chosen)}. Published at once as a new version; the test's figures stay, and rolling this version back in the history brings the test back.`,
    lines: campaign.variants.map((v) => `${v.id}: ${sharePercent(campaign, v)}% → ${v.id === winner ? 100 : 0}%`),
    confirm: "Publish as a new version",
  });
  if (!confirmed) return;
  const note = how === "stop" ? `Stopped the test ${id}: everyone sees variant ${winner}` : `Rolled out variant ${winner} of ${id}`;
  await publishChange(editor, live, note, (config) => giveAllWeight(config, id, winner));
}

/**
 * Publishes `change` made to `live` (the live config as just read) as a new version, and makes the same change to
 * the working copy, so that publishing it later does not undo it.
 */
export async function publishChange(editor: Editor, live: Config, note: string, change: (config: Config) => void): Promise<void> {
  change(live);
  const published = await editor.api.publish(live, note);
  if (published instanceof ApiError) return showStatus(published.status === 403 ? "Not published: your role cannot publish" : `Not published: ${published.message}`);
  editor.state.live = live;
  change(editor.state.draft);
  // The site's saved draft must not bring the old weights back when it is published or reopened: the working copy
  // (with the new weights) is saved over it when it holds other edits, else the draft, now stale, is discarded.
  if (hasChanges(editor.state)) void editor.drafts.saveNow();
  else if (editor.state.saved) {
    await editor.api.discardDraft();
    editor.state.saved = null;
  }
  const shown = editor.show();
  showStatus(published.storefront === "pending" ? pendingText(published.version) : `Version ${published.version} is live: ${note}`);
  await shown;
}

function giveAllWeight(config: Config, id: string, winner: string): void {
  for (const variant of config.campaigns.find((c) => c.id === id)?.variants ?? []) variant.weight = variant.id === winner ? 100 : 0;
}
