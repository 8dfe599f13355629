/**
 * When to tell the user that no worker serves the queue. A coordinator may rightly start before
 * its workers, so it keeps waiting; but after `afterMs` with none it says so, once — and again
 * only after workers had come and all of them went away.
 */
export class NoWorkerWatch {
  /** Since when no worker has been seen (undefined while some are). */
  private since: number | undefined;
  private told = false;

  constructor(
    private readonly afterMs: number,
    start: number,
  ) {
    this.since = start;
  }

  /** Feeds a look at the queue's workers; returns true when the notice is due now. */
  observe(workers: number, now: number): boolean {
    if (workers > 0) {
      this.since = undefined;
      this.told = false;
      return false;
    }
    this.since ??= now;
    if (this.told || now - this.since < this.afterMs) return false;
    this.told = true;
    return true;
  }
}
