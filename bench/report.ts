/** Markdown tables of the results. */
import type { CpuResult } from './cpu.js';
import { CPU_GOAL } from './cpu.js';
import type { EncodeResult, Sample, VariantResult } from './encode.js';
import type { PublishRow } from './publish.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const f = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const pct = (ratio: number | undefined) => (ratio === undefined ? '—' : `${ratio.toFixed(3)} (${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %)`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'ok' : 'MISSED');

/** Average cores other processes used during the samples. */
function otherLoad(samples: Sample[]): string {
  const known = samples.filter((s) => s.otherCpuSeconds !== undefined);
  if (!known.length) return '—';
  return f(Math.max(...known.map((s) => s.otherCpuSeconds! / s.wallSeconds)));
}

export function encodeTables(r: EncodeResult): string {
  const out: string[] = [];
  if (r.source) {
    out.push(`Source: ${r.source.durationSeconds.toFixed(1)} s 1080p30 H.264 + AAC, ${(r.source.bitrate / 1e6).toFixed(2)} Mb/s (video ${(r.source.videoBitrate / 1e6).toFixed(2)} Mb/s), testsrc2 + noise=alls=20:allf=t+u`);
  }
  const rows: string[][] = [];
  for (const p of r.presets) {
    for (const v of [p.a, p.b, p.c] as Array<VariantResult | undefined>) {
      if (!v) continue;
      rows.push([p.preset, `(${v.variant}) ${v.label}`, String(v.processes), String(v.samples.length), f(v.wallSeconds), `${f(v.realtime)}×`, f(v.cpuPerMediaSecond, 3), otherLoad(v.samples)]);
    }
  }
  if (rows.length) out.push(table(['preset', 'run', 'procs', 'n', 'wall s', 'realtime', 'CPU s / media s', 'other load (cores, max)'], rows));
  const ratios = r.presets.map((p) => [
    p.preset,
    String(p.rungs.length),
    pct(p.vsBare?.speed),
    pct(p.vsBare?.cpu),
    verdict(p.vsBare ? p.vsBare.speed >= 0.97 && p.vsBare.cpu <= 1.03 : undefined),
    pct(p.vsPerRung?.speed),
    pct(p.vsPerRung?.cpu),
    p.livepipe ? `${f(p.livepipe.ownCpuSeconds)} s (${f((p.livepipe.ownCpuSeconds / (p.a?.cpuSeconds ?? NaN)) * 100, 1)} %)` : '—',
    p.livepipe ? `${f(p.livepipe.startupSeconds)} / ${f(p.livepipe.ffmpegSeconds)} / ${f(p.livepipe.tailSeconds)}` : '—',
    p.livepipe && p.b ? pct(p.b.wallSeconds / p.livepipe.ffmpegSeconds) : '—',
  ]);
  if (ratios.length) {
    out.push(table(['preset', 'rungs', '(a)/(b) realtime', '(a)/(b) CPU', 'goal 3 %', '(a)/(c) realtime', '(a)/(c) CPU', 'livepipe node CPU in (a)', '(a) wall: start-up / ffmpeg / tail s', '(a) ffmpeg phase vs (b)'], ratios));
  }
  const failures = [...r.failures, ...r.presets.flatMap((p) => p.failures.map((x) => `${p.preset} ${x}`))];
  if (failures.length) out.push(failures.map((x) => `FAILED encode ${x}`).join('\n'));
  return out.join('\n\n');
}

export function publishTable(rows: PublishRow[]): string {
  const body = rows.map((r) => [
    r.kind,
    String(r.segments),
    f(r.p50Ms, 0),
    f(r.p95Ms, 0),
    f(r.maxMs, 0),
    `≤ ${r.goalP95Ms}`,
    r.failure ? 'FAILED' : verdict(r.p95Ms !== undefined ? r.p95Ms <= r.goalP95Ms : undefined),
    f(r.segmentUploadP95Ms, 0),
    r.fromRename ? `${f(r.fromRename.p50Ms, 0)} / ${f(r.fromRename.p95Ms, 0)} / ${f(r.fromRename.maxMs, 0)}` : '—',
    [
      r.unlisted ? `${r.unlisted} never listed` : '',
      r.retries ? `${r.retries} retries` : '',
      r.errorEvents.length ? `errors: ${r.errorEvents[0]}` : '',
      r.failure ?? '',
    ].filter(Boolean).join('; '),
  ]);
  return table(['origin', 'segments', 'p50 ms', 'p95 ms', 'max ms', 'goal p95', 'result', 'seg upload p95 ms', 'from rename p50/p95/max ms', 'notes'], body);
}

export function cpuTable(r: CpuResult): string {
  const s = r.split;
  const startup = s?.livepipeStartupSeconds;
  const steady = s && startup !== undefined ? (s.livepipeSeconds - startup) / s.ffmpegSeconds : undefined;
  const row = [
    `720p live ${r.mediaSeconds} s`,
    f(s?.livepipeSeconds),
    f(s?.ffmpegSeconds),
    r.ratio === undefined ? '—' : `${(r.ratio * 100).toFixed(2)} %`,
    `≤ ${CPU_GOAL * 100} %`,
    r.failure ? 'FAILED' : verdict(r.ratio !== undefined ? r.ratio <= CPU_GOAL : undefined),
    f(startup),
    steady === undefined ? '—' : `${(steady * 100).toFixed(2)} %`,
    s ? `${s.method}${s.sampledLivepipeSeconds !== undefined ? ` (sampled: ${f(s.sampledLivepipeSeconds)} / ${f(s.sampledFfmpegSeconds)})` : ''}` : '—',
    [r.otherCpuSeconds !== undefined && r.wallSeconds ? `other load ${f(r.otherCpuSeconds / r.wallSeconds)} cores` : '', r.failure ?? ''].filter(Boolean).join('; '),
  ];
  return table(['run', 'livepipe CPU s', 'ffmpeg CPU s', 'livepipe / ffmpeg', 'goal', 'result', 'of which start-up s', 'ratio after start-up', 'method', 'notes'], [row]);
}
