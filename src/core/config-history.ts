/**
 * @module A site's config history as the admin API answers it: versions, a page of them, a publish's answer and
 * the draft. Plain types, so the Worker (storage and routes) and the editor's browser code share one definition.
 */
import type { Config } from "./config-schema";

export interface VersionSummary {
  version: number;
  createdAt: string;
  note: string;
  author: string;
  live: boolean;
  /** What changed since the version before, in words (see config-diff.ts). */
  changes: string[];
}

/** A page of the history, newest first; `next` is the `before` of the following page, null on the last one. */
export interface VersionPage {
  versions: VersionSummary[];
  next: number | null;
}

/** A publish's or rollback's answer: `storefront: "pending"` (status 202) while the stores' KV has not taken it yet. */
export interface Published extends VersionSummary {
  storefront?: "pending";
}

/** The editor's working copy: validated like a publish, never live until published. */
export interface Draft {
  config: Config;
  savedAt: string;
  savedBy: string;
}

/** One version with its config, as `GET .../config/versions/{version}` answers. */
export interface StoredVersion {
  version: number;
  createdAt: string;
  config: Config;
}
