/**
 * @module The checkpoint of `segments push`: where a push stands (its id, the first line the Worker has not
 * acknowledged, its totals), written after every acknowledged batch so that a stopped push resumes, and read back
 * through a schema. A file that is not a checkpoint, or is one of another push, is said so and the push starts
 * from the first line.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeSmallFile } from "./files";
import { count } from "./say";

const VERSION = 3;

const TotalsSchema = z.object({
  rows: z.number().int().nonnegative(),
  written: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  /** Of `written`: rows with no segments, or whose expires_at had passed (`expired`). */
  removed: z.number().int().nonnegative(),
  expired: z.number().int().nonnegative(),
  /** Of `rows`: rows the Worker had acknowledged beyond this run's checkpoint (their counts are not known here). */
  earlier: z.number().int().nonnegative(),
  /** Rows the Worker refused (rows refused by the check before sending are counted again on every run). */
  refused: z.number().int().nonnegative(),
  replaced: z.number().int().nonnegative(),
});
export type Totals = z.infer<typeof TotalsSchema>;

const CheckpointSchema = z.object({
  version: z.literal(VERSION),
  /** The file's fingerprint: a checkpoint is only resumed for the very same file. */
  sha256: z.string(),
  site: z.string(),
  url: z.string(),
  replace: z.boolean(),
  /**
   * The push's id, carried by every batch (in its URL): the Worker records the push's position under it, and with
   * --replace the sweep removes members no batch touched. What `newCheckpoint` makes, nothing else.
   */
  sync: z.string().regex(/^[0-9a-f]{32}$/),
  /** The first line not yet acknowledged by the Worker (1-based). */
  nextLine: z.number().int().min(1),
  phase: z.enum(["rows", "sweep"]),
  totals: TotalsSchema,
  /** What the Worker said of the rows it refused (the first few). */
  refusedLines: z.array(z.object({ line: z.number().int(), path: z.string().optional(), message: z.string() })),
  startedAt: z.string(),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** What a checkpoint must match to be resumed, and where it is kept. */
export interface CheckpointOptions {
  checkpoint: string;
  restart: boolean;
  site: string;
  url: string;
  replace: boolean;
}

/** A push that starts at the first line, under a new id. */
export function newCheckpoint(options: CheckpointOptions, sha256: string): Checkpoint {
  return {
    version: VERSION,
    sha256,
    site: options.site,
    url: options.url,
    replace: options.replace,
    sync: randomBytes(16).toString("hex"),
    nextLine: 1,
    phase: "rows",
    totals: { rows: 0, written: 0, unchanged: 0, removed: 0, expired: 0, earlier: 0, refused: 0, replaced: 0 },
    refusedLines: [],
    startedAt: new Date().toISOString(),
  };
}

/** Written to a temporary file and renamed over the old one, so a stop never leaves half a checkpoint. */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeSmallFile(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}

/** The checkpoint to resume for the file fingerprinted `sha256`, or null (saying why) to start from the first line. */
export async function loadCheckpoint(options: CheckpointOptions, sha256: string, log: (line: string) => void): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(options.checkpoint, "utf8");
  } catch {
    return null;
  }
  if (options.restart) {
    log(`--restart: ignoring the checkpoint ${options.checkpoint}`);
    return null;
  }
  const startOver = (why: string) => {
    log(`The checkpoint ${options.checkpoint} ${why}; starting from the first line.`);
    return null;
  };
  const saved = readBack(text);
  if (saved === "unreadable") return startOver("is unreadable");
  if (saved === "older format") return startOver("is for an older format");
  const mismatch =
    saved.sha256 !== sha256 ? "another version of the file" :
    saved.site !== options.site || saved.url !== options.url ? `site ${saved.site} at ${saved.url}` :
    saved.replace !== options.replace ? (saved.replace ? "a push with --replace" : "a push without --replace") :
    null;
  if (mismatch) return startOver(`is for ${mismatch}`);
  log(`Resuming from the checkpoint ${options.checkpoint}: ${count(saved.totals.rows)} row(s) already pushed, going on at line ${count(saved.nextLine)}.`);
  return saved;
}

/** Any object with totals was written by some version of the command: one of another version is said to be so. */
const WrittenByUs = z.object({ version: z.unknown(), totals: z.object({}) });

function readBack(text: string): Checkpoint | "older format" | "unreadable" {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "unreadable";
  }
  const ours = WrittenByUs.safeParse(value);
  if (!ours.success) return "unreadable";
  if (ours.data.version !== VERSION) return "older format";
  const checkpoint = CheckpointSchema.safeParse(value);
  return checkpoint.success ? checkpoint.data : "unreadable";
}
