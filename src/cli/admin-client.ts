/**
 * @module The admin API as `segments push` calls it: import (or dry-run) a batch, ask where a push stands, sweep
 * (or ask what a sweep would remove). 429, 5xx and network errors are retried with backoff, and once the retries
 * are spent the push stops to be resumed later (exit 75); any other refusal ends it (exit 1).
 */
import type { LineIssue } from "../core/import-rows";
import { CliError, EXIT_RETRY_LATER } from "./errors";
import type { Batch } from "./memberships-file";
import { count, describeIssue } from "./say";

/** Where the Worker runs, for which site, and how many times a request is tried again. */
export interface AdminTarget {
  url: string;
  token: string;
  site: string;
  retries: number;
}

export interface BatchResult {
  sent: number;
  written: number;
  unchanged: number;
  removed: number;
  expired: number;
  /** The rows the Worker refused, by their file line (the rest of the batch was sent again without them). */
  rejected: LineIssue[];
  /** Segments the rows name that the site's config does not list. */
  unknownSegments: string[];
}

/** A dry run of a batch: what the import would do, and what the site holds (for what `--replace` would remove). */
export interface BatchCheck extends BatchResult {
  /** Rows of customers the site holds. */
  existing: number;
  /** Every member the site holds. */
  members: number;
}

/** What the sweep of a push would remove now, of all the members the site holds. */
export interface SweepPreview {
  wouldRemove: number;
  members: number;
}

type Answer = ErrorBody & { written?: number; rows?: number; unchanged?: number; removed?: number; expired?: number; existing?: number; members?: number; unknownSegments?: string[] };

/** The Worker refused a batch because the push already stands past its first line (another copy, or a lost answer). */
export interface Behind {
  behind: string;
}

interface PushState {
  nextLine: number | null;
  finishedAt: string | null;
}

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: { line?: number; path?: string; message?: string }[] };
}

export class AdminClient {
  constructor(
    private readonly target: AdminTarget,
    private readonly log: (line: string) => void,
  ) {}

  /** One batch, `from` being the first line not yet acknowledged (blank or refused lines before the batch included). */
  async importBatch(batch: Batch, sync: string, from: number, strict: boolean): Promise<BatchResult | Behind> {
    const answer = await this.sendRows(batch, `?sync=${sync}&from=${from}&next=${batch.lastLine + 1}`, strict);
    if ("behind" in answer) return answer;
    const { body, sent, rejected } = answer;
    return { sent, written: body.written ?? sent, unchanged: body.unchanged ?? 0, removed: body.removed ?? 0, expired: body.expired ?? 0, rejected, unknownSegments: body.unknownSegments ?? [] };
  }

  /** One batch checked by the Worker against what the site holds (`?dry_run=1`): nothing is written, no push recorded. */
  async checkBatch(batch: Batch, strict: boolean): Promise<BatchCheck> {
    const answer = await this.sendRows(batch, "?dry_run=1", strict);
    if ("behind" in answer) throw new CliError(`the Worker refused the dry run: ${answer.behind}`);
    const { body, sent, rejected } = answer;
    return {
      sent,
      written: body.rows ?? sent,
      unchanged: body.unchanged ?? 0,
      removed: body.removed ?? 0,
      expired: body.expired ?? 0,
      rejected,
      unknownSegments: body.unknownSegments ?? [],
      existing: body.existing ?? 0,
      members: body.members ?? 0,
    };
  }

  /**
   * Sends a batch's rows with `query`; rows the Worker refuses are mapped back to their file lines and the rest is
   * sent again (with `strict`, any refusal ends the push).
   */
  private async sendRows(batch: Batch, query: string, strict: boolean): Promise<{ body: Answer; sent: number; rejected: LineIssue[] } | Behind> {
    const rejected: LineIssue[] = [];
    let { lines, texts } = batch;
    for (;;) {
      if (lines.length === 0) return { body: { written: 0 }, sent: 0, rejected };
      const response = await this.send("POST", `${this.sitePath}/segments${query}`, "application/x-ndjson", `${texts.join("\n")}\n`);
      const body = (await response.json().catch(() => ({}))) as Answer;
      if (response.ok) return { body, sent: lines.length, rejected };
      if (response.status === 409 && body.error?.issues?.some((issue) => issue.path === "from")) return { behind: body.error.message ?? "the push stands further" };
      if (response.status === 400 && body.error?.code === "INVALID_IMPORT" && body.error.issues?.length) {
        // Lines in the answer count within the batch; map them back to the file and send the rest again.
        const refused = new Set<number>();
        for (const issue of body.error.issues) {
          const fileLine = lines[(issue.line ?? 0) - 1];
          if (fileLine === undefined) continue;
          refused.add(fileLine);
          rejected.push({ line: fileLine, ...(issue.path ? { path: issue.path } : {}), message: issue.message ?? "rejected" });
        }
        if (refused.size === 0 || strict) {
          throw new CliError(`the Worker rejected the batch of lines ${count(lines[0] ?? 0)}-${count(batch.lastLine)}: ${body.error.message ?? ""}`, rejected.map(describeIssue));
        }
        const keep = lines.map((line, i) => [line, texts[i] ?? ""] as const).filter(([line]) => !refused.has(line));
        lines = keep.map(([line]) => line);
        texts = keep.map(([, text]) => text);
        continue;
      }
      throw new CliError(`the Worker refused the push (${response.status} ${body.error?.code ?? ""}): ${body.error?.message ?? response.statusText}`);
    }
  }

  /** What the sweep of the push would remove now (`?dry_run=1`), removing nobody. */
  async sweepPreview(sync: string): Promise<SweepPreview> {
    const response = await this.send("POST", `${this.sitePath}/segments/sweep?sync=${sync}&dry_run=1`, "application/json", "{}");
    const body = (await response.json().catch(() => ({}))) as ErrorBody & Partial<SweepPreview>;
    if (!response.ok) throw new CliError(`the Worker refused --replace (${response.status} ${body.error?.code ?? ""}): ${body.error?.message ?? response.statusText}`);
    return { wouldRemove: body.wouldRemove ?? 0, members: body.members ?? 0 };
  }

  async sweep(sync: string): Promise<{ removed: number; remaining: number }> {
    const response = await this.send("POST", `${this.sitePath}/segments/sweep?sync=${sync}`, "application/json", "{}");
    const body = (await response.json().catch(() => ({}))) as ErrorBody & { removed?: number; remaining?: number };
    if (!response.ok) throw new CliError(`the Worker refused --replace (${response.status} ${body.error?.code ?? ""}): ${body.error?.message ?? response.statusText}`);
    return { removed: body.removed ?? 0, remaining: body.remaining ?? 0 };
  }

  /** Where the Worker says the push stands, or null when no batch of it ever reached the site. */
  async pushState(sync: string): Promise<PushState | null> {
    const response = await this.send("GET", `${this.sitePath}/segments/pushes/${sync}`);
    const body = (await response.json().catch(() => ({}))) as ErrorBody & Partial<PushState>;
    if (response.status === 404) return null;
    if (!response.ok) throw new CliError(`the Worker refused to say where the push stands (${response.status} ${body.error?.code ?? ""}): ${body.error?.message ?? response.statusText}`);
    return { nextLine: typeof body.nextLine === "number" ? body.nextLine : null, finishedAt: body.finishedAt ?? null };
  }

  private get sitePath(): string {
    return `/admin/sites/${encodeURIComponent(this.target.site)}`;
  }

  /** One request, retried on 429, 5xx and network errors; a CliError with EXIT_RETRY_LATER once the retries are spent. */
  private async send(method: "GET" | "POST", path: string, type?: string, body?: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      let wait: number | null = null;
      try {
        const response = await fetch(`${this.target.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.target.token}`, ...(type ? { "content-type": type } : {}) },
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(120_000),
        });
        if (response.status !== 429 && response.status < 500) return response;
        problem = `${response.status} ${response.statusText}`.trim();
        const retryAfter = Number(response.headers.get("retry-after"));
        if (response.headers.has("retry-after") && Number.isFinite(retryAfter)) wait = Math.min(60_000, retryAfter * 1000);
        await response.body?.cancel();
      } catch (error) {
        problem = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      }
      if (attempt >= this.target.retries) {
        throw new CliError(`Giving up after ${attempt + 1} attempt(s): ${problem}.`, [], EXIT_RETRY_LATER);
      }
      // Exponential backoff with jitter (0.5 s, 1 s, 2 s... up to 30 s), or what Retry-After asks for.
      const delay = wait ?? Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      this.log(`${problem}: retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${this.target.retries + 1})`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
