/**
 * @module The guard of `segments push --replace`: before the sweep removes anyone, the command says how many of
 * the site's members it would remove, and above `--max-remove-share` (10% unless told) it asks on a terminal
 * and refuses without one, unless `--yes`. A file missing most customers (a test file, another site's file, a
 * half export) then stops with nobody removed instead of emptying the site.
 *
 * @example
 * // 6 of the demo's 7 personas missing from the file, no terminal:
 * // --replace: 6 of the site's 7 members (86%) are not in this file and would be removed.
 * // valuebar: --replace removed nobody: 6 of 7 members (86%) is more than --max-remove-share 10% and ...
 */
import { createInterface } from "node:readline";
import type { SweepPreview } from "./admin-client";
import { count } from "./say";

/** The share of the site's members `--replace` removes without asking, unless told otherwise. */
export const DEFAULT_MAX_REMOVE_SHARE = 0.1;

/** What the guard needs to know of the run. */
export interface GuardOptions {
  /** The largest share (0 to 1) of the site's members removed without asking. */
  maxRemoveShare: number;
  yes: boolean;
}

/** `--max-remove-share` as given ("10" or "10%": a percentage), as a share from 0 to 1; null when it is not one. */
export function parseShare(value: string): number | null {
  const match = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(value.trim());
  const percent = match ? Number(match[1]) : Number.NaN;
  return percent >= 0 && percent <= 100 ? percent / 100 : null;
}

/** A share as a percentage; with a decimal when rounding would hide that it is above `limit`. */
export function percent(share: number, limit?: number): string {
  const whole = Math.round(share * 100);
  return limit !== undefined && share > limit && whole <= limit * 100 ? `${(share * 100).toFixed(1)}%` : `${whole}%`;
}

/** The limit as given: "10%", "12.5%". */
export function limitText(limit: number): string {
  return `${Number((limit * 100).toFixed(2))}%`;
}

/** "6 of the site's 7 members (86%)". */
export function describeRemoval(preview: SweepPreview): string {
  return `${count(preview.wouldRemove)} of the site's ${count(preview.members)} members (${percent(share(preview))})`;
}

export function share(preview: SweepPreview): number {
  return preview.members > 0 ? preview.wouldRemove / preview.members : 0;
}

/**
 * Whether the sweep may remove what `preview` says: null when it may, else why not (said after "--replace removed
 * nobody: "). Asks on a terminal when the share is above the limit and `--yes` was not given.
 */
export async function mayRemove(preview: SweepPreview, options: GuardOptions): Promise<string | null> {
  const s = share(preview);
  if (preview.wouldRemove === 0 || s <= options.maxRemoveShare || options.yes) return null;
  const what = `${count(preview.wouldRemove)} of ${count(preview.members)} members (${percent(s, options.maxRemoveShare)})`;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    return (
      `${what} is more than --max-remove-share ${limitText(options.maxRemoveShare)} and there is no terminal to ask on. ` +
      "Run the same command again with --yes to remove them (it goes on at the removal, sending no row again), or with a higher --max-remove-share."
    );
  }
  return (await ask(`Remove ${what}? [y/N] `)) ? null : "you answered no. Run the same command again to be asked again, or with --yes.";
}

/** Asks a yes/no question on the terminal; anything but y or yes (Ctrl-C and Ctrl-D included) is no. */
function ask(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const terminal = createInterface({ input: process.stdin, output: process.stderr });
    let yes = false;
    let answered = false;
    terminal.on("SIGINT", () => terminal.close());
    terminal.on("close", () => {
      if (!answered) process.stderr.write("\n");
      resolve(yes);
    });
    terminal.question(question, (answer) => {
      answered = true;
      yes = /^y(es)?$/i.test(answer.trim());
      terminal.close();
    });
  });
}
