/**
 * @module The editor's one client of the admin API (`/admin/sites/{site}/...`). Every call goes through
 * `request`: the token in the Authorization header, JSON (or an upload's text) as the body, JSON back, and the
 * API's error envelope turned into one `ApiError` that the screens show. A refusal is an answer, not an
 * exception: each call resolves to its answer or an ApiError, so the type checker makes every screen say what a
 * refusal means there (a network failure still rejects). The answers' types are the Worker's where
 * src/core names them; the ones only a route or the site's Durable Object states are restated here, because
 * this code is type-checked with the DOM's types and those modules need the Workers runtime's, and
 * test/editor/api-answers.test-d.ts holds them to the routes' own answer types.
 */
import type { Draft, Published, StoredVersion, VersionPage } from "../../core/config-history";
import type { Config } from "../../core/config-schema";
import type { Decision } from "../../core/decide";
import type { ExperimentResults } from "../../core/experiment-results";
import type { ErrorCode, errorBody, Issue } from "../../http/errors";
import type { Permission, Role } from "../../core/access";
import { mayDo } from "../../core/access";

export type { Issue };

/** Who is signed in: a site and a token for it. */
export interface Session {
  site: string;
  token: string;
}

/** A signed link to the draft: `param` goes in the query of any store page, until `expiresAt`. */
export interface PreviewLink {
  token: string;
  param: string;
  expiresAt: string;
}

/** The visitor a preview is for (the preview route's `as`; what is left out takes the route's default). */
export interface PreviewVisitor {
  segments: string[];
  country?: string;
  currency?: string;
  device?: string;
  /** False for a visitor's first page load. */
  returning?: boolean;
  /** The unit variants are picked for: one in another variant's bucket shows that variant. */
  unit?: string;
}

/** The decision the Worker would make for that visitor, on the config sent. */
export interface PreviewAnswer {
  source: "sent" | "draft" | "live";
  decision: Decision;
}

/** Members per segment: the config's segments first, then segments the imports name that the config does not. */
export interface SegmentCounts {
  segments: { segment: string; members: number; inConfig: boolean }[];
  customers: number;
  pending: number;
  lastImport: string | null;
}

/** One customer's current segments. */
export interface Member {
  customer_id: string;
  segments: string[];
  expires_at?: string;
  /** Numbers from the store's history that experiments adjust for (CUPED). */
  covariates?: Record<string, number>;
}

/** A dry run's answer: the batch is valid, nothing was written. */
export interface ImportChecked {
  dryRun: true;
  rows: number;
  removed: number;
  expired?: number;
  /** Rows the site already holds as they are. */
  unchanged: number;
  /** Rows of customers the site holds, and every member it holds (for what a replacing push would remove). */
  existing: number;
  members: number;
  unknownSegments?: string[];
}

export interface ImportWritten {
  written: number;
  removed: number;
  expired?: number;
  unchanged: number;
  unknownSegments?: string[];
}

type ErrorEnvelope = ReturnType<typeof errorBody>;

/** The API refused a call: its status, and the envelope's code, message (the status when it sent none) and issues. */
export class ApiError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: ErrorCode | undefined,
    readonly issues: Issue[],
  ) {}
}

interface Body {
  type: string;
  text: string;
}

const json = (value: unknown): Body => ({ type: "application/json", text: JSON.stringify(value) });

/** The admin API of the signed-in site. */
export class AdminApi {
  /** The token's role as the API names it in every answer: an analyst is offered no preview link. */
  role: string | null = null;

  constructor(readonly session: Session) {}

  /** Whether the token's role, as the last answer named it, grants `permission`. */
  may(permission: Permission): boolean {
    return this.role !== null && mayDo(this.role as Role, permission);
  }

  /** The live config; 404 when the site has none yet, 403 for an importer (who may not read it). */
  config(): Promise<Config | ApiError> {
    return this.request("GET", "/config");
  }

  versions(before?: number): Promise<VersionPage | ApiError> {
    return this.request("GET", `/config/versions${before === undefined ? "" : `?before=${before}`}`);
  }

  /** Publishes `config` as the next version at once, with `note` in the history (stopping or rolling out a test). */
  publish(config: Config, note: string): Promise<Published | ApiError> {
    return this.request("PUT", `/config?note=${encodeURIComponent(note)}`, json(config));
  }

  rollback(version: number): Promise<Published | ApiError> {
    return this.request("POST", "/config/rollback", json({ version }));
  }

  preview(config: Config, as: PreviewVisitor): Promise<PreviewAnswer | ApiError> {
    return this.request("POST", "/preview", json({ config, as }));
  }

  /** The decision on the live config (404 when the site has none yet). */
  previewLive(as: PreviewVisitor): Promise<PreviewAnswer | ApiError> {
    return this.request("POST", "/preview", json({ live: true, as }));
  }

  /** One version with its config. */
  version(version: number): Promise<StoredVersion | ApiError> {
    return this.request("GET", `/config/versions/${version}`);
  }

  /** The saved draft; 404 when there is none. */
  draft(): Promise<Draft | ApiError> {
    return this.request("GET", "/draft");
  }

  /**
   * Saves `config` as the draft. With `base` (the `savedAt` of the draft it replaces, null for none), 409 when
   * someone saved another draft meanwhile.
   */
  saveDraft(config: Config, base?: string | null): Promise<Draft | ApiError> {
    return this.request("PUT", "/draft", json(config), base === undefined ? {} : { "x-valuebar-draft-base": base ?? "none" });
  }

  discardDraft(): Promise<{ deleted: boolean } | ApiError> {
    return this.request("DELETE", "/draft");
  }

  /** Publishes the draft saved at `savedAt`; 409 when someone saved another one since. */
  publishDraft(note: string, savedAt: string): Promise<Published | ApiError> {
    return this.request("POST", "/draft/publish", json({ note, savedAt }));
  }

  previewLink(minutes: number): Promise<PreviewLink | ApiError> {
    return this.request("POST", "/draft/preview-link", json({ minutes }));
  }

  results(campaign: string): Promise<ExperimentResults | ApiError> {
    return this.request("GET", `/experiments/${encodeURIComponent(campaign)}/results`);
  }

  segments(): Promise<SegmentCounts | ApiError> {
    return this.request("GET", "/segments");
  }

  /** 404 when the customer is in no segment. */
  member(customerId: string): Promise<Member | ApiError> {
    return this.request("GET", `/segments/${encodeURIComponent(customerId)}`);
  }

  /** Checks a batch of memberships without writing it; 400 with the bad lines as issues. */
  checkImport(text: string, csv: boolean): Promise<ImportChecked | ApiError> {
    return this.request("POST", "/segments?dry_run=1", importBody(text, csv));
  }

  importMembers(text: string, csv: boolean): Promise<ImportWritten | ApiError> {
    return this.request("POST", "/segments", importBody(text, csv));
  }

  private async request<T>(method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<T | ApiError> {
    const res = await fetch(`/admin/sites/${encodeURIComponent(this.session.site)}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.session.token}`, ...(body ? { "content-type": body.type } : {}), ...headers },
      body: body?.text,
    });
    this.role = res.headers.get("x-valuebar-role") ?? this.role;
    const answer: unknown = await res.json().catch(() => null);
    if (res.ok) return answer as T;
    const error = (answer as ErrorEnvelope | null)?.error;
    return new ApiError(res.status, error?.message ?? String(res.status), error?.code, error?.issues ?? []);
  }
}

function importBody(text: string, csv: boolean): Body {
  return { type: csv ? "text/csv" : "application/x-ndjson", text };
}
