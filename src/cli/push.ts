/**
 * @module `valuebar segments push`: a memberships file to a site through the admin import API, in batches
 * of at most 10,000 rows. Retries 429 and 5xx with backoff, keeps a checkpoint after every batch the Worker
 * acknowledged (so a run that stops resumes where it stopped), reports rejected rows by their line in the
 * file, and with `--replace` removes the members the file no longer lists.
 *
 * Every push has an id (`sync`), and every batch says where it sits in the file (`from`, `next`). The Worker
 * records how far it acknowledged the push and refuses (409) a batch that starts before that point, so neither a
 * checkpoint older than the Worker's record nor a second copy of the same push can write older rows over later
 * ones. On resume, and on such a 409, the command asks the Worker where the push stands and goes on from there.
 */
import { createHash, type Hash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { LineIssue } from "../core/import-rows";
import { ndjsonRow } from "../core/import-rows";
import { FirstLines } from "../core/shared";
import { CliError, writeSmallFile } from "./files";
import { Progress } from "./progress";

export interface PushArgs {
  file: string;
  site: string;
  url: string;
  token: string;
  replace: boolean;
  batchSize: number;
  retries: number;
  checkpoint: string;
  restart: boolean;
  strict: boolean;
}

/** Exit codes besides 0 and 1. */
export const EXIT_RETRY_LATER = 75;
export const EXIT_INTERRUPTED = 130;

/** Request bodies stay under the Worker's 5 MB import limit. */
const MAX_BATCH_BYTES = 4_500_000;
/** Rejected rows kept in the checkpoint and listed at the end (all are counted). */
const LISTED = 50;

interface Totals {
  rows: number;
  written: number;
  unchanged: number;
  /** Of `written`: rows with no segments, or whose expires_at had passed (`expired`). */
  removed: number;
  expired: number;
  /** Of `rows`: rows the Worker had acknowledged beyond this run's checkpoint (their counts are not known here). */
  earlier: number;
  /** Rows the Worker refused (rows refused by the check before sending are counted again on every run). */
  refused: number;
  replaced: number;
}

interface Checkpoint {
  version: 3;
  sha256: string;
  site: string;
  url: string;
  replace: boolean;
  /** The push's id, carried by every batch: the Worker records the push's position under it, and with --replace the sweep removes members no batch touched. */
  sync: string;
  /** The first line not yet acknowledged by the Worker (1-based). */
  nextLine: number;
  phase: "rows" | "sweep";
  totals: Totals;
  /** What the Worker said of the rows it refused (the first LISTED). */
  refusedLines: LineIssue[];
  startedAt: string;
}

/** The Worker refused a batch because the push already stands past its first line. */
class Behind extends Error {}

/** Stops the run with an exit code and a message saying how to go on. */
class Stop extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface Batch {
  /** File line of each row, in body order. */
  lines: number[];
  texts: string[];
  /** The last file line the batch covers (blank and bad lines included). */
  lastLine: number;
}

/** The file's lines, numbered from 1; with `hash`, its bytes also go into it as they are read. */
async function* fileLines(path: string, hash?: Hash): AsyncGenerator<[number, string]> {
  const input = createReadStream(path);
  if (hash) input.on("data", (chunk) => hash.update(chunk));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) yield [++n, n === 1 ? line.replace(/^\uFEFF/, "") : line];
}

/** The problems of one NDJSON line, by the same rules as the Worker's import (checked before anything is sent). */
function lineIssues(line: number, text: string, now: number, seen: FirstLines): LineIssue[] {
  const issues: LineIssue[] = [];
  const row = ndjsonRow(line, text, now, issues);
  const repeat = row ? seen.repeat(row.customerId, line) : null;
  return repeat ? [{ line, path: "customer_id", message: repeat }] : issues;
}

const describe = (i: LineIssue) => `line ${i.line}: ${i.path ? `${i.path}: ` : ""}${i.message}`;
const count = (n: number) => n.toLocaleString("en");

export async function runPush(args: PushArgs, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const info = await stat(args.file).catch(() => null);
  if (!info) throw new CliError(`cannot read ${args.file}: no such file`);
  if (!info.isFile()) throw new CliError(`${args.file} is not a file`);

  // Pass 1: every line checked before the first request, so --strict sends nothing for a bad file and the
  // progress bar knows the total.
  const now = Date.now();
  const bad = new Map<number, LineIssue[]>();
  const seen = new FirstLines();
  let total = 0;
  // The same read fingerprints the file, so a checkpoint is only resumed for the very same file.
  const hash = createHash("sha256");
  try {
    for await (const [line, text] of fileLines(args.file, hash)) {
      if (!text.trim()) continue;
      const issues = lineIssues(line, text, now, seen);
      if (issues.length) bad.set(line, issues);
      else total++;
    }
  } catch (error) {
    throw new CliError(`cannot read ${args.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  seen.clear();
  const badIssues = [...bad.values()].flat();
  if (bad.size > 0) {
    const listed = badIssues.slice(0, LISTED).map(describe);
    if (badIssues.length > LISTED) listed.push(`... and ${badIssues.length - LISTED} more`);
    if (args.strict) throw new CliError(`${bad.size} bad row(s) in ${args.file}; --strict: nothing sent`, listed);
    log(`${bad.size} bad row(s) will not be sent (--strict stops on any):`);
    for (const line of listed) log(`  ${line}`);
  }
  if (total === 0) throw new CliError(`${args.file} has no rows to push`);

  const sha256 = hash.digest("hex");
  let checkpoint = await loadCheckpoint(args, sha256, log);
  const resumed = checkpoint !== null;
  if (!checkpoint) {
    checkpoint = {
      version: 3,
      sha256,
      site: args.site,
      url: args.url,
      replace: args.replace,
      sync: randomBytes(16).toString("hex"),
      nextLine: 1,
      phase: "rows",
      totals: { rows: 0, written: 0, unchanged: 0, removed: 0, expired: 0, earlier: 0, refused: 0, replaced: 0 },
      refusedLines: [],
      startedAt: new Date().toISOString(),
    };
  }
  const state = checkpoint;
  const save = () => writeSmallFile(args.checkpoint, `${JSON.stringify(state, null, 2)}\n`);
  // Before the first request: a checkpoint that cannot be written would make a stopped push unresumable.
  try {
    await save();
  } catch (error) {
    throw new CliError(`cannot write the checkpoint ${args.checkpoint}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  /** Rows not pushed: those the check refused (this run's check, so lines that turned bad since count too) and those the Worker refused. */
  const rejected = () => bad.size + state.totals.refused;
  const rejectedLines = () => [...badIssues, ...state.refusedLines];

  // Ctrl-C: finish the batch in flight, save the checkpoint, stop. A second Ctrl-C quits at once (the
  // checkpoint already holds every acknowledged batch).
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    log("\nStopping after the batch in flight (Ctrl-C again to quit now)...");
  };
  process.on("SIGINT", onSigint);
  const client = new AdminClient(args, log);
  /** Moves the push on to the Worker's position `line`, counting the rows in between as acknowledged earlier. */
  const catchUp = async (line: number) => {
    const rows = await rowsBetween(args.file, state.nextLine, line, bad);
    state.totals.rows += rows;
    state.totals.earlier += rows;
    state.nextLine = line;
    await save();
  };
  let progress: Progress | null = null;
  try {
    // A checkpoint may be older than the Worker's record (a lost answer, a copy of an old checkpoint): the record wins.
    if (resumed && state.phase === "rows") {
      const standsAt = (await client.pushState(state.sync))?.nextLine ?? null;
      if (standsAt !== null && standsAt > state.nextLine) {
        log(`The Worker acknowledged this push up to line ${count(standsAt)}, past the checkpoint (line ${count(state.nextLine)}): resuming at line ${count(standsAt)}.`);
        await catchUp(standsAt);
      }
    }
    progress = new Progress(total, state.totals.rows);
    while (state.phase === "rows") {
      try {
        for await (const batch of batches(args.file, state.nextLine, bad, args.batchSize)) {
          const result = await client.importBatch(batch, state.sync, state.nextLine, args.strict);
          state.totals.rows += result.sent;
          state.totals.written += result.written;
          state.totals.unchanged += result.unchanged;
          state.totals.removed += result.removed;
          state.totals.expired += result.expired;
          state.totals.refused += new Set(result.rejected.map((issue) => issue.line)).size;
          for (const issue of result.rejected) if (state.refusedLines.length < LISTED) state.refusedLines.push(issue);
          state.nextLine = batch.lastLine + 1;
          await save();
          progress.update(state.totals.rows + result.rejected.length, `lines ${count(batch.lines[0] ?? 0)}-${count(batch.lastLine)} done`);
          if (interrupted) throw new Stop(`Interrupted. ${resumeHint(args, state.nextLine)}`, EXIT_INTERRUPTED);
        }
      } catch (error) {
        if (!(error instanceof Behind)) throw error;
        // Another copy of this push, or an answer lost on the way: the Worker stands further than this run.
        const standsAt = (await client.pushState(state.sync))?.nextLine ?? null;
        if (standsAt === null || standsAt <= state.nextLine) throw new CliError(`the Worker refused the push: ${error.message}`);
        log(`The Worker has acknowledged this push up to line ${count(standsAt)} already (another copy of the push, or an answer lost on the way): going on from there.`);
        await catchUp(standsAt);
        continue;
      }
      state.phase = "sweep";
      await save();
    }
    progress.done();

    if (state.replace) {
      if (rejected() > 0) {
        await rm(args.checkpoint, { force: true });
        report(args, state, rejected(), rejectedLines(), log, started);
        log(`--replace: nobody was removed, because ${count(rejected())} row(s) were rejected and those customers would lose their segments. Fix the rows and push again.`);
        return 1;
      }
      for (;;) {
        const { removed, remaining } = await client.sweep(state.sync);
        state.totals.replaced += removed;
        await save();
        log(`--replace: removed ${count(state.totals.replaced)} member(s) not in this file${remaining ? `, ${count(remaining)} to go` : ""}`);
        if (remaining === 0) break;
        if (interrupted) throw new Stop(`Interrupted. ${resumeHint(args, state.nextLine)}`, EXIT_INTERRUPTED);
      }
    }
    await rm(args.checkpoint, { force: true });
    report(args, state, rejected(), rejectedLines(), log, started);
    return 0;
  } catch (error) {
    progress?.done();
    if (error instanceof Stop) {
      log(error.code === EXIT_RETRY_LATER ? `${error.message} ${resumeHint(args, state.nextLine)}` : error.message);
      return error.code;
    }
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function resumeHint(args: PushArgs, nextLine: number): string {
  return `The checkpoint ${args.checkpoint} holds every acknowledged batch: run the same command again to resume at line ${count(nextLine)}.`;
}

function report(args: PushArgs, state: Checkpoint, rejected: number, rejectedLines: LineIssue[], log: (line: string) => void, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  const t = state.totals;
  // The Worker's `written` counts every row it took; of those, `unchanged` needed no KV write and `removed` deleted one.
  log(
    `Pushed ${count(t.rows)} row(s) to site ${args.site} in ${seconds.toFixed(1)} s: ${count(t.written - t.unchanged - t.removed)} set, ` +
      `${count(t.unchanged)} unchanged (no KV write), ${count(t.removed)} removed (no segments${t.expired ? `, ${count(t.expired)} of them expired` : ""})` +
      `${t.earlier ? `, ${count(t.earlier)} acknowledged before this run's checkpoint` : ""}` +
      `${state.replace ? `, ${count(t.replaced)} removed by --replace` : ""}, ${count(rejected)} rejected.`,
  );
  if (rejected > 0) {
    log("Rejected rows:");
    const listed = rejectedLines.slice(0, LISTED);
    for (const issue of listed) log(`  ${describe(issue)}`);
    if (rejectedLines.length > listed.length || rejected > rejectedLines.length) log(`  ... and more (${count(rejected)} rows in all)`);
  }
}

async function loadCheckpoint(args: PushArgs, sha256: string, log: (line: string) => void): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(args.checkpoint, "utf8");
  } catch {
    return null;
  }
  if (args.restart) {
    log(`--restart: ignoring the checkpoint ${args.checkpoint}`);
    return null;
  }
  let saved: Checkpoint | null = null;
  try {
    saved = JSON.parse(text) as Checkpoint | null;
  } catch {
    // unreadable: said below
  }
  if (!saved || typeof saved !== "object" || !saved.totals) {
    log(`The checkpoint ${args.checkpoint} is unreadable; starting from the first line.`);
    return null;
  }
  const mismatch =
    saved.version !== 3 ? "an older format" :
    saved.sha256 !== sha256 ? "another version of the file" :
    saved.site !== args.site || saved.url !== args.url ? `site ${saved.site} at ${saved.url}` :
    saved.replace !== args.replace ? (saved.replace ? "a push with --replace" : "a push without --replace") :
    null;
  if (mismatch) {
    log(`The checkpoint ${args.checkpoint} is for ${mismatch}; starting from the first line.`);
    return null;
  }
  log(`Resuming from the checkpoint ${args.checkpoint}: ${count(saved.totals.rows)} row(s) already pushed, going on at line ${count(saved.nextLine)}.`);
  return saved;
}

/** The file's valid rows from `fromLine`, in batches of at most `size` rows and MAX_BATCH_BYTES. */
async function* batches(path: string, fromLine: number, bad: Map<number, unknown>, size: number): AsyncGenerator<Batch> {
  let batch: Batch = { lines: [], texts: [], lastLine: 0 };
  let bytes = 0;
  for await (const [line, text] of fileLines(path)) {
    if (line < fromLine) continue;
    if (text.trim() && !bad.has(line)) {
      const length = Buffer.byteLength(text) + 1;
      if (batch.lines.length >= size || (batch.lines.length > 0 && bytes + length > MAX_BATCH_BYTES)) {
        yield batch;
        batch = { lines: [], texts: [], lastLine: 0 };
        bytes = 0;
      }
      batch.lines.push(line);
      batch.texts.push(text);
      bytes += length;
    }
    batch.lastLine = line;
  }
  if (batch.lines.length > 0) yield batch;
}

/** Rows (not blank, not refused by the check) on the lines from `from` up to, not including, `to`. */
async function rowsBetween(path: string, from: number, to: number, bad: Map<number, unknown>): Promise<number> {
  let rows = 0;
  for await (const [line, text] of fileLines(path)) {
    if (line >= to) break;
    if (line >= from && text.trim() && !bad.has(line)) rows++;
  }
  return rows;
}

interface BatchResult {
  sent: number;
  written: number;
  unchanged: number;
  removed: number;
  expired: number;
  rejected: LineIssue[];
}

interface PushState {
  nextLine: number | null;
  finishedAt: string | null;
}

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: { line?: number; path?: string; message?: string }[] };
}

/** The admin API, with retries: 429 and 5xx and network errors are retried with backoff, anything else stops. */
class AdminClient {
  constructor(
    private readonly args: PushArgs,
    private readonly log: (line: string) => void,
  ) {}

  /** One batch, `from` being the first line not yet acknowledged (blank or refused lines before the batch included). */
  async importBatch(batch: Batch, sync: string, from: number, strict: boolean): Promise<BatchResult> {
    const rejected: LineIssue[] = [];
    let { lines, texts } = batch;
    const query = `?sync=${sync}&from=${from}&next=${batch.lastLine + 1}`;
    for (;;) {
      if (lines.length === 0) return { sent: 0, written: 0, unchanged: 0, removed: 0, expired: 0, rejected };
      const response = await this.send("POST", `${this.sitePath}/segments${query}`, "application/x-ndjson", `${texts.join("\n")}\n`);
      const body = (await response.json().catch(() => ({}))) as ErrorBody & { written?: number; unchanged?: number; removed?: number; expired?: number };
      if (response.ok) {
        return { sent: lines.length, written: body.written ?? lines.length, unchanged: body.unchanged ?? 0, removed: body.removed ?? 0, expired: body.expired ?? 0, rejected };
      }
      if (response.status === 409 && body.error?.issues?.some((issue) => issue.path === "from")) throw new Behind(body.error.message ?? "the push stands further");
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
          throw new CliError(`the Worker rejected the batch of lines ${count(lines[0] ?? 0)}-${count(batch.lastLine)}: ${body.error.message ?? ""}`, rejected.map(describe));
        }
        const keep = lines.map((line, i) => [line, texts[i] ?? ""] as const).filter(([line]) => !refused.has(line));
        lines = keep.map(([line]) => line);
        texts = keep.map(([, text]) => text);
        continue;
      }
      throw new CliError(`the Worker refused the push (${response.status} ${body.error?.code ?? ""}): ${body.error?.message ?? response.statusText}`);
    }
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
    return `/admin/sites/${encodeURIComponent(this.args.site)}`;
  }

  /** One request, retried on 429, 5xx and network errors; a Stop once the retries are spent. */
  private async send(method: "GET" | "POST", path: string, type?: string, body?: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      let wait: number | null = null;
      try {
        const response = await fetch(`${this.args.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.args.token}`, ...(type ? { "content-type": type } : {}) },
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
      if (attempt >= this.args.retries) {
        throw new Stop(`Giving up after ${attempt + 1} attempt(s): ${problem}.`, EXIT_RETRY_LATER);
      }
      // Exponential backoff with jitter (0.5 s, 1 s, 2 s... up to 30 s), or what Retry-After asks for.
      const delay = wait ?? Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      this.log(`${problem}: retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${this.args.retries + 1})`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
