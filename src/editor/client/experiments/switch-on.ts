/**
 * @module A variant switched off (by the guardrail, or by hand): what the experiments page says of it, "switched off
 * by the guardrail on <date>: <metric> worse (p = …)", and "Switch back on", which after a yes publishes the live
 * config without the variant's `stopped` as a new version. The guardrail then leaves it running while it stays worse
 * on the same metrics (src/core/guardrails.ts).
 */
import type { Campaign, Config, Variant } from "../../../core/config-schema";
import { describeStop } from "../../../core/guardrails";
import { ApiError } from "../api";
import { confirmDialog } from "../confirm";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";
import { mayPublish, publishChange } from "./rollout";

/** The stop's line and, for a role that may publish, the "Switch back on" button; nothing for a running variant. */
export function stoppedLine(editor: Editor, campaign: Campaign, variant: Variant): HTMLElement[] {
  if (!variant.stopped) return [];
  const label = `Switch ${variant.id} back on`;
  return [
    el("span", { class: "stopped" }, describeStop(variant.stopped)),
    ...(mayPublish(editor) ? [button("Switch back on", label, () => void switchOn(editor, campaign.id, variant.id), "secondary")] : []),
  ];
}

async function switchOn(editor: Editor, id: string, variantId: string): Promise<void> {
  const live = await editor.api.config();
  if (live instanceof ApiError) return showStatus(`Nothing changed: the live config could not be read (${live.status})`);
  const variant = live.campaigns.find((c) => c.id === id)?.variants.find((v) => v.id === variantId);
  if (!variant?.stopped) return showStatus(`Nothing changed: ${variantId} is not switched off in the live config`);
  const confirmed = await confirmDialog({
    title: `Switch ${variantId} back on?`,
    intro: `Its visitors see it again and are counted. It was ${describeStop(variant.stopped)}; the guardrail leaves it on while it stays worse on that, and switches it off again if it turns worse after a clear look.`,
    confirm: "Publish as a new version",
  });
  if (!confirmed) return;
  await publishChange(editor, live, `Switched ${variantId} of ${id} back on`, (config: Config) => {
    const v = config.campaigns.find((c) => c.id === id)?.variants.find((x) => x.id === variantId);
    if (v) delete v.stopped;
  });
}
