/** What a benchmark gets. */
export interface BenchContext {
  /** Shorter runs (smoke-testing the benchmark itself); results are not recorded. */
  readonly quick: boolean;
  /** Progress on stderr. */
  readonly log: (message: string) => void;
}

/** What a benchmark returns: a markdown table (and notes) ready for docs/benchmarks.md. */
export interface BenchResult {
  readonly markdown: string;
}

/** A benchmark. */
export interface Benchmark {
  /** One line: what is measured against what. */
  readonly title: string;
  readonly run: (ctx: BenchContext) => Promise<BenchResult>;
}
