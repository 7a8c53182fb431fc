/**
 * @module Members per segment (`GET .../segments`) of the signed-in site, asked once and kept with its API
 * client, so the grid's row headers, drawn again on every edit, do not ask the site's storage to count again each
 * time; the segments page and an upload ask afresh.
 */
import type { AdminApi, SegmentCounts } from "../api";
import { ApiError } from "../api";

// One answer per API client, that is per sign-in: signing in again makes a new client, and the old answer goes
// with the old one. A failed request is forgotten, so the next call asks again.
const answers = new WeakMap<AdminApi, Promise<SegmentCounts | ApiError>>();

/** The counts, as asked last (`fresh`: asked now). An ApiError for a role that may not see them (403). */
export function memberCounts(api: AdminApi, fresh = false): Promise<SegmentCounts | ApiError> {
  let answer = answers.get(api);
  if (!answer || fresh) {
    answer = api.segments();
    answers.set(api, answer);
    answer.catch(() => answers.delete(api));
  }
  return answer;
}

/** Members of `segment` in `counts` (0 when no import named it). */
export function membersOf(counts: SegmentCounts, segment: string): number {
  return counts.segments.find((s) => s.segment === segment)?.members ?? 0;
}
