import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkStream } from '../check/checker.js';
import { exitCodeOf, formatFinding, useColor } from '../check/finding.js';
import { locateFfmpeg, onPath } from '../ffmpeg/locate.js';

export interface CheckCommandOptions {
  /** Master playlist URL (http(s)://, file://) or path. */
  target: string;
  ffprobe?: string | undefined;
  advanceWaitMs?: (targetDuration: number) => number;
}

/** `livepipe check <master.m3u8>`: one line per finding on stdout; 0 if nothing failed, else 1. */
export async function runCheck(opts: CheckCommandOptions, out: (line: string) => void, color = useColor(process.stdout)): Promise<number> {
  const findings = await checkStream(opts.target, {
    ffprobe: opts.ffprobe ?? findFfprobe(),
    ...(opts.advanceWaitMs ? { advanceWaitMs: opts.advanceWaitMs } : {}),
    onFinding: (f) => out(formatFinding(f, color)),
  });
  const failed = findings.filter((f) => f.status === 'fail').length;
  const warned = findings.filter((f) => f.status === 'warn').length;
  out(`${failed ? `${failed} failed` : 'no failures'}, ${warned} warning${warned === 1 ? '' : 's'}`);
  return exitCodeOf(findings);
}

function findFfprobe(): string | undefined {
  const { ffprobe } = locateFfmpeg();
  if (path.isAbsolute(ffprobe)) return existsSync(ffprobe) ? ffprobe : undefined;
  return onPath(ffprobe);
}
