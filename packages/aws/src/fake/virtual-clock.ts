/**
 * Virtual time for tests: `sleep` resolves when the clock reaches its deadline, and the clock jumps to the
 * next deadline once every pending promise chain has settled (checked with `setImmediate`). Concurrent
 * tasks therefore interleave exactly as their simulated latencies say, and hours of waiting take
 * milliseconds.
 */
import type { Clock } from '../clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** A clock whose time moves only when everything is waiting. */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];
  private scheduled = false;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Two turns: let promise chains started in this turn reach their next sleep first.
    setImmediate(() =>
      setImmediate(() => {
        this.scheduled = false;
        this.fire();
      }),
    );
  }

  private fire(): void {
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers[0]!.at;
    this.time = Math.max(this.time, next);
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.resolve();
    if (this.timers.length > 0) this.schedule();
  }
}
