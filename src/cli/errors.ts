/**
 * @module The CLI's one error type and its exit codes: whatever ends a command early (bad input, a refusal, a push
 * stopped by the network or by Ctrl-C) is a `CliError` carrying its message, the lines to list under it and
 * the exit code; `main` prints it and exits with that code, never with a stack trace.
 */

/** Bad input, or refused by the Worker. */
export const EXIT_FAILED = 1;
/** Stopped by the network or the server: run again to resume. */
export const EXIT_RETRY_LATER = 75;
/** Interrupted (Ctrl-C): run again to resume. */
export const EXIT_INTERRUPTED = 130;

/**
 * A failure (exit 1) is said as "valuebar: message" with `details` listed under it; a push that stopped and can be
 * resumed (75, 130) says in its own words how to go on.
 *
 * @example
 * throw new CliError("--site is required");                              // valuebar: --site is required (exit 1)
 * throw new CliError("Interrupted. Run again to resume.", [], EXIT_INTERRUPTED); // Interrupted. ... (exit 130)
 */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
  }

  /** What the command writes to stderr. */
  lines(): string[] {
    return [this.exitCode === EXIT_FAILED ? `valuebar: ${this.message}` : this.message, ...this.details.map((line) => `  ${line}`)];
  }
}
