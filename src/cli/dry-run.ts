/**
 * @module `segments push --dry-run`: the file checked here and then by the Worker against what the site holds
 * (`?dry_run=1`, batch by batch), and a report of what the push would do: rows that would be set, unchanged or
 * removed, rows rejected, segments the config does not use, and with `--replace` how many of the site's members
 * the push would remove and whether it would ask first. Nothing is written: no row, no removal, no push record,
 * no checkpoint.
 */
import type { LineIssue } from "../core/import-rows";
import type { AdminTarget } from "./admin-client";
import { AdminClient } from "./admin-client";
import { batches, type CheckedFile } from "./memberships-file";
import { Progress } from "./progress";
import { describeRemoval, type GuardOptions, limitText, share } from "./removal-guard";
import { count, describeIssue } from "./say";

export interface DryRunArgs extends AdminTarget, GuardOptions {
  file: string;
  replace: boolean;
  batchSize: number;
  strict: boolean;
}

/** Rejected rows listed at the end (all are counted). */
const LISTED = 50;

/** What the Worker said of the file's batches, added up. */
interface Findings {
  rows: number;
  unchanged: number;
  removed: number;
  expired: number;
  /** Rows of customers the site holds. */
  existing: number;
  /** The site's members, as the last batch's answer counted them. */
  members: number;
  refused: LineIssue[];
  unknownSegments: Set<string>;
}

/** Checks every batch of `file` with the Worker and reports what a push would do; exit code 0. */
export async function dryRun(args: DryRunArgs, file: CheckedFile, log: (line: string) => void): Promise<number> {
  const findings = await checkBatches(args, file, log);
  report(args, file, findings, log);
  return 0;
}

async function checkBatches(args: DryRunArgs, file: CheckedFile, log: (line: string) => void): Promise<Findings> {
  const client = new AdminClient(args, log);
  const found: Findings = { rows: 0, unchanged: 0, removed: 0, expired: 0, existing: 0, members: 0, refused: [], unknownSegments: new Set() };
  const progress = new Progress(file.total, 0);
  try {
    for await (const batch of batches(args.file, 1, file.bad, args.batchSize)) {
      const check = await client.checkBatch(batch, args.strict);
      found.rows += check.sent;
      found.unchanged += check.unchanged;
      found.removed += check.removed;
      found.expired += check.expired;
      found.existing += check.existing;
      found.members = check.members;
      found.refused.push(...check.rejected);
      for (const segment of check.unknownSegments) found.unknownSegments.add(segment);
      progress.update(found.rows + found.refused.length, `lines ${count(batch.lines[0] ?? 0)}-${count(batch.lastLine)} checked`);
    }
  } finally {
    progress.done();
  }
  return found;
}

function report(args: DryRunArgs, file: CheckedFile, found: Findings, log: (line: string) => void): void {
  const rejected = file.bad.size + new Set(found.refused.map((issue) => issue.line)).size;
  const set = found.rows - found.unchanged - found.removed;
  log(
    `Dry run, nothing written: ${count(found.rows)} row(s) checked against site ${args.site}: ${count(set)} would be set, ${count(found.unchanged)} unchanged, ` +
      `${count(found.removed)} removed (no segments${found.expired ? `, ${count(found.expired)} of them expired` : ""}), ${count(rejected)} rejected.`,
  );
  if (found.refused.length) {
    log("Rejected by the Worker:");
    for (const issue of found.refused.slice(0, LISTED)) log(`  ${describeIssue(issue)}`);
  }
  if (found.unknownSegments.size) {
    log(`Segments the site's config does not use (no message targets them until the config lists them): ${[...found.unknownSegments].sort().join(", ")}`);
  }
  if (!args.replace) return;
  if (rejected > 0) return log(`--replace would remove nobody: ${count(rejected)} row(s) were rejected, and those customers would lose their segments.`);
  // The file's customers the site holds stay; every other member is what the sweep would remove.
  const preview = { wouldRemove: Math.max(0, found.members - found.existing), members: found.members };
  const asks = preview.wouldRemove > 0 && share(preview) > args.maxRemoveShare;
  log(
    `--replace would remove ${describeRemoval(preview)}` +
      (!asks ? "." : args.yes ? `: above --max-remove-share ${limitText(args.maxRemoveShare)}, removed without asking (--yes).` : `: above --max-remove-share ${limitText(args.maxRemoveShare)}, so the push would ask first (or need --yes).`),
  );
}
