/**
 * @module `valuebar segments push`: a memberships file to a site through the admin import API, in batches
 * of at most 10,000 rows. Retries 429 and 5xx with backoff, keeps a checkpoint after every batch the Worker
 * acknowledged (so a run that stops resumes where it stopped), reports rejected rows by their line in the
 * file, and with `--replace` removes the members the file no longer lists (asking first when that is more than a
 * set share of the site's members).
 *
 * Every push has an id (`sync`), and every batch says where it sits in the file (`from`, `next`). The Worker
 * records how far it acknowledged the push and refuses (409) a batch that starts before that point, so neither a
 * checkpoint older than the Worker's record nor a second copy of the same push can write older rows over later
 * ones. On resume, and on such a 409, the command asks the Worker where the push stands and goes on from there.
 *
 * `runPush` reads top to bottom: check the file (with --dry-run, have the Worker check it too and stop: dry-run.ts),
 * load or start the checkpoint, catch up with the Worker, push the rows, and with --replace say what the sweep would
 * remove, ask above --max-remove-share (removal-guard.ts) and sweep; report. Each step is a function below it.
 */
import { rm } from "node:fs/promises";
import type { LineIssue } from "../core/import-rows";
import { AdminClient, type BatchResult } from "./admin-client";
import { type Checkpoint, loadCheckpoint, newCheckpoint, saveCheckpoint } from "./checkpoint";
import { type DryRunArgs, dryRun } from "./dry-run";
import { CliError, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_RETRY_LATER } from "./errors";
import { type Batch, batches, type CheckedFile, checkFile, rowsBetween } from "./memberships-file";
import { Progress } from "./progress";
import { describeRemoval, mayRemove } from "./removal-guard";
import { count, describeIssue } from "./say";

export interface PushArgs extends DryRunArgs {
  checkpoint: string;
  restart: boolean;
  /** Check and report only (dry-run.ts): nothing is written. */
  dryRun: boolean;
}

type Log = (line: string) => void;

/** Rejected rows kept in the checkpoint and listed at the end (all are counted). */
const LISTED = 50;

/** What every step of one run works on. */
interface Run {
  args: PushArgs;
  log: Log;
  file: CheckedFile;
  /** The push's state, saved after every step the Worker acknowledged. */
  state: Checkpoint;
  client: AdminClient;
  interrupt: Interrupt;
  /** Segments this run's rows name that the site's config does not list (said in the report). */
  unknownSegments: Set<string>;
}

export async function runPush(args: PushArgs, log: Log): Promise<number> {
  const started = performance.now();
  const file = await checkBeforeSending(args, log);
  if (args.dryRun) return dryRun(args, file, log);
  const resumed = await loadCheckpoint(args, file.sha256, log);
  const state = resumed ?? newCheckpoint(args, file.sha256);
  await firstSave(args.checkpoint, state);
  const run: Run = { args, log, file, state, client: new AdminClient(args, log), interrupt: watchInterrupt(log), unknownSegments: new Set() };
  let progress: Progress | null = null;
  try {
    if (resumed && state.phase === "rows") await catchUpWithWorker(run);
    progress = new Progress(file.total, state.totals.rows);
    await pushRows(run, progress);
    progress.done();
    if (state.replace) {
      if (rejectedRows(run) > 0) return await refuseToReplace(run, started);
      await confirmRemoval(run, started);
      await sweep(run);
    }
    await rm(args.checkpoint, { force: true });
    report(run, started);
    return 0;
  } catch (error) {
    progress?.done();
    throw withResumeHint(error, run);
  } finally {
    run.interrupt.stop();
  }
}

/**
 * Pass 1: every line checked before the first request, so --strict sends nothing for a bad file and the progress
 * bar knows the total. The same read fingerprints the file, so a checkpoint is only resumed for the very same file.
 */
async function checkBeforeSending(args: PushArgs, log: Log): Promise<CheckedFile> {
  const file = await checkFile(args.file);
  if (file.bad.size > 0) {
    const listed = file.badIssues.slice(0, LISTED).map(describeIssue);
    if (file.badIssues.length > LISTED) listed.push(`... and ${file.badIssues.length - LISTED} more`);
    if (args.strict) throw new CliError(`${file.bad.size} bad row(s) in ${args.file}; --strict: nothing sent`, listed);
    log(`${file.bad.size} bad row(s) will not be sent (--strict stops on any):`);
    for (const line of listed) log(`  ${line}`);
  }
  if (file.total === 0) throw new CliError(`${args.file} has no rows to push`);
  return file;
}

/** Before the first request: a checkpoint that cannot be written would make a stopped push unresumable. */
async function firstSave(path: string, state: Checkpoint): Promise<void> {
  try {
    await saveCheckpoint(path, state);
  } catch (error) {
    throw new CliError(`cannot write the checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** A checkpoint may be older than the Worker's record (a lost answer, a copy of an old checkpoint): the record wins. */
async function catchUpWithWorker(run: Run): Promise<void> {
  const { state } = run;
  const standsAt = (await run.client.pushState(state.sync))?.nextLine ?? null;
  if (standsAt !== null && standsAt > state.nextLine) {
    run.log(`The Worker acknowledged this push up to line ${count(standsAt)}, past the checkpoint (line ${count(state.nextLine)}): resuming at line ${count(standsAt)}.`);
    await moveTo(run, standsAt);
  }
}

/** The rows from the checkpoint's line on, batch by batch; when the Worker stands further, on from there. */
async function pushRows(run: Run, progress: Progress): Promise<void> {
  const { state } = run;
  while (state.phase === "rows") {
    const behind = await sendBatches(run, progress);
    if (behind === null) {
      state.phase = "sweep";
      await saveCheckpoint(run.args.checkpoint, state);
      continue;
    }
    // Another copy of this push, or an answer lost on the way: the Worker stands further than this run.
    const standsAt = (await run.client.pushState(state.sync))?.nextLine ?? null;
    if (standsAt === null || standsAt <= state.nextLine) throw new CliError(`the Worker refused the push: ${behind}`);
    run.log(`The Worker has acknowledged this push up to line ${count(standsAt)} already (another copy of the push, or an answer lost on the way): going on from there.`);
    await moveTo(run, standsAt);
  }
}

/**
 * Sends the batches from the checkpoint's line to the end of the file, saving the checkpoint after each one the
 * Worker acknowledged; null at the end, or what the Worker said when it refused a batch it stands past.
 */
async function sendBatches(run: Run, progress: Progress): Promise<string | null> {
  const { args, state } = run;
  for await (const batch of batches(args.file, state.nextLine, run.file.bad, args.batchSize)) {
    const result = await run.client.importBatch(batch, state.sync, state.nextLine, args.strict);
    if ("behind" in result) return result.behind;
    acknowledge(state, batch, result);
    for (const segment of result.unknownSegments) run.unknownSegments.add(segment);
    await saveCheckpoint(args.checkpoint, state);
    progress.update(state.totals.rows + result.rejected.length, `lines ${count(batch.lines[0] ?? 0)}-${count(batch.lastLine)} done`);
    stopIfInterrupted(run);
  }
  return null;
}

/** Counts an acknowledged batch into the checkpoint and moves it past the batch's last line. */
function acknowledge(state: Checkpoint, batch: Batch, result: BatchResult): void {
  state.totals.rows += result.sent;
  state.totals.written += result.written;
  state.totals.unchanged += result.unchanged;
  state.totals.removed += result.removed;
  state.totals.expired += result.expired;
  state.totals.refused += new Set(result.rejected.map((issue) => issue.line)).size;
  for (const issue of result.rejected) if (state.refusedLines.length < LISTED) state.refusedLines.push(issue);
  state.nextLine = batch.lastLine + 1;
}

/** Moves the push on to the Worker's position `line`, counting the rows in between as acknowledged earlier. */
async function moveTo(run: Run, line: number): Promise<void> {
  const { state } = run;
  const rows = await rowsBetween(run.args.file, state.nextLine, line, run.file.bad);
  state.totals.rows += rows;
  state.totals.earlier += rows;
  state.nextLine = line;
  await saveCheckpoint(run.args.checkpoint, state);
}

/**
 * --replace, before the sweep: says how many of the site's members it would remove and, above --max-remove-share,
 * asks (removal-guard.ts). Refused: nobody is removed, and the checkpoint stays at the removal, so the same command
 * with --yes removes them without sending a row again.
 */
async function confirmRemoval(run: Run, started: number): Promise<void> {
  const preview = await run.client.sweepPreview(run.state.sync);
  if (preview.wouldRemove > 0) run.log(`--replace: ${describeRemoval(preview)} are not in this file and would be removed.`);
  const refused = await mayRemove(preview, run.args);
  if (refused === null) return;
  report(run, started);
  throw new CliError(`--replace removed nobody: ${refused}`);
}

/** --replace: removes, round after round, the members no batch of this push wrote. */
async function sweep(run: Run): Promise<void> {
  const { state } = run;
  for (;;) {
    const { removed, remaining } = await run.client.sweep(state.sync);
    state.totals.replaced += removed;
    await saveCheckpoint(run.args.checkpoint, state);
    run.log(`--replace: removed ${count(state.totals.replaced)} member(s) not in this file${remaining ? `, ${count(remaining)} to go` : ""}`);
    if (remaining === 0) return;
    stopIfInterrupted(run);
  }
}

/** --replace with rejected rows: those customers would lose their segments, so nobody is removed (exit 1). */
async function refuseToReplace(run: Run, started: number): Promise<number> {
  await rm(run.args.checkpoint, { force: true });
  report(run, started);
  run.log(`--replace: nobody was removed, because ${count(rejectedRows(run))} row(s) were rejected and those customers would lose their segments. Fix the rows and push again.`);
  return EXIT_FAILED;
}

/** Rows not pushed: those the check refused (this run's check, so lines that turned bad since count too) and those the Worker refused. */
function rejectedRows(run: Run): number {
  return run.file.bad.size + run.state.totals.refused;
}

function report(run: Run, started: number): void {
  const { args, state, log } = run;
  const rejected = rejectedRows(run);
  const rejectedLines: LineIssue[] = [...run.file.badIssues, ...state.refusedLines];
  const seconds = (performance.now() - started) / 1000;
  const t = state.totals;
  // The Worker's `written` counts every row it took; of those, `unchanged` needed no KV write and `removed` deleted one.
  log(
    `Pushed ${count(t.rows)} row(s) to site ${args.site} in ${seconds.toFixed(1)} s: ${count(t.written - t.unchanged - t.removed)} set, ` +
      `${count(t.unchanged)} unchanged (no KV write), ${count(t.removed)} removed (no segments${t.expired ? `, ${count(t.expired)} of them expired` : ""})` +
      `${t.earlier ? `, ${count(t.earlier)} acknowledged before this run's checkpoint` : ""}` +
      `${state.replace ? `, ${count(t.replaced)} removed by --replace` : ""}, ${count(rejected)} rejected.`,
  );
  if (run.unknownSegments.size) {
    log(`Segments the site's config does not use (no message targets them until the config lists them): ${[...run.unknownSegments].sort().join(", ")}`);
  }
  if (rejected > 0) {
    log("Rejected rows:");
    const listed = rejectedLines.slice(0, LISTED);
    for (const issue of listed) log(`  ${describeIssue(issue)}`);
    if (rejectedLines.length > listed.length || rejected > rejectedLines.length) log(`  ... and more (${count(rejected)} rows in all)`);
  }
}

/** Ctrl-C, as the push loops see it. */
interface Interrupt {
  requested: boolean;
  stop(): void;
}

/**
 * Ctrl-C: finish the batch in flight, save the checkpoint, stop. A second Ctrl-C quits at once (the checkpoint
 * already holds every acknowledged batch).
 */
function watchInterrupt(log: Log): Interrupt {
  const onSigint = () => {
    if (interrupt.requested) process.exit(EXIT_INTERRUPTED);
    interrupt.requested = true;
    log("\nStopping after the batch in flight (Ctrl-C again to quit now)...");
  };
  const interrupt: Interrupt = { requested: false, stop: () => process.off("SIGINT", onSigint) };
  process.on("SIGINT", onSigint);
  return interrupt;
}

function stopIfInterrupted(run: Run): void {
  if (run.interrupt.requested) throw new CliError(`Interrupted. ${resumeHint(run)}`, [], EXIT_INTERRUPTED);
}

/** A push the network stopped says how to resume it, from where the checkpoint stands now. */
function withResumeHint(error: unknown, run: Run): unknown {
  if (error instanceof CliError && error.exitCode === EXIT_RETRY_LATER) return new CliError(`${error.message} ${resumeHint(run)}`, error.details, EXIT_RETRY_LATER);
  return error;
}

function resumeHint(run: Run): string {
  return `The checkpoint ${run.args.checkpoint} holds every acknowledged batch: run the same command again to resume at line ${count(run.state.nextLine)}.`;
}
