/**
 * @module The grid's row header of a segment: its id, its member count and its description (the config's
 * `segmentDescriptions`). The grid draws the header at once; the counts arrive with `showMemberCounts`.
 */
import type { Config } from "../../../core/config-schema";
import type { AdminApi } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import { counted } from "../plural";
import { memberCounts, membersOf } from "./counts";

export function segmentRowHeader(config: Config, segment: string): HTMLTableCellElement {
  const description = config.segmentDescriptions?.[segment];
  return el(
    "th",
    { scope: "row", class: "segment-head" },
    el("strong", {}, segment),
    " ",
    el("span", { class: "segment-members", "data-members-of": segment }),
    ...(description ? [" ", el("span", { class: "segment-description" }, description)] : []),
  );
}

/** Fills in the member counts of the row headers on the page; a role that may not see them (an editor) sees none. */
export async function showMemberCounts(api: AdminApi): Promise<void> {
  const counts = await memberCounts(api);
  if (counts instanceof ApiError) return;
  for (const span of document.querySelectorAll<HTMLElement>("[data-members-of]")) span.textContent = counted(membersOf(counts, span.dataset.membersOf ?? ""), "member");
}
