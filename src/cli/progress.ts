/**
 * @module A progress bar on stderr: redrawn in place on a terminal, one line per step in a log (CI, cron),
 * where carriage returns would make a mess.
 */
const WIDTH = 30;

export class Progress {
  private readonly started = performance.now();
  private readonly tty = process.stderr.isTTY === true;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly from: number,
  ) {}

  /** `done` rows of `total`; `note` says what the step was (shown in logs). */
  update(done: number, note: string): void {
    const share = this.total ? Math.min(1, done / this.total) : 1;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? (done - this.from) / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const figures = `${(share * 100).toFixed(0).padStart(3)}% ${done.toLocaleString("en")}/${this.total.toLocaleString("en")} rows, ${Math.round(rate).toLocaleString("en")} rows/s`;
    if (!this.tty) {
      process.stderr.write(`${figures}: ${note}\n`);
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < 100 && share < 1) return;
    this.lastDraw = now;
    const filled = Math.round(share * WIDTH);
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${figures}, ${eta > 0 ? `${Math.ceil(eta)} s left` : "done"}   `);
    this.drawn = true;
  }

  /** Ends the bar's line on a terminal. */
  done(): void {
    if (this.drawn) process.stderr.write("\n");
    this.drawn = false;
  }
}
