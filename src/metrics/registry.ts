/**
 * A minimal Prometheus registry and text exposition format (version 0.0.4), hand-written so that
 * livepipe needs no metrics dependency. Counters, gauges and histograms with labels.
 */

export type Labels = Record<string, string>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Metric {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(readonly name: string, readonly help: string) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  }
  abstract samples(): string[];
}

interface Series {
  labels: Labels;
  value: number;
}

abstract class ScalarMetric extends Metric {
  protected readonly series = new Map<string, Series>();

  protected entry(labels: Labels = {}): Series {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      for (const name of Object.keys(labels)) if (!LABEL.test(name)) throw new Error(`invalid label name ${name}`);
      s = { labels: { ...labels }, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  get(labels: Labels = {}): number | undefined {
    return this.series.get(labelKey(labels))?.value;
  }

  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
}

export class Counter extends ScalarMetric {
  readonly type = 'counter';

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error('a counter only goes up');
    this.entry(labels).value += by;
  }

  /** Makes a series visible at 0 before anything happened. */
  touch(labels: Labels = {}): void {
    this.entry(labels);
  }
}

export class Gauge extends ScalarMetric {
  readonly type = 'gauge';

  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }

  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }

  remove(labels: Labels = {}): void {
    this.series.delete(labelKey(labels));
  }
}

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  private readonly series = new Map<string, HistogramSeries>();
  readonly buckets: number[];

  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (const [i, le] of this.buckets.entries()) if (value <= le) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      for (const [i, le] of this.buckets.entries()) {
        out.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: formatValue(le) })} ${s.counts[i]}`);
      }
      out.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: Array<() => void> = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  /** Runs before every render: for values computed at scrape time (e.g. the live-edge latency). */
  onCollect(collector: () => void): void {
    this.collectors.push(collector);
  }

  render(): string {
    for (const c of this.collectors) {
      try {
        c();
      } catch {
        // a broken collector must not break the scrape
      }
    }
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.samples());
    }
    return `${out.join('\n')}\n`;
  }

  private add<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
