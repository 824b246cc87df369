/** One line of `livepipe doctor` or `livepipe check`: `ok|warn|fail  <what>  <fix>`. */
export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  status: FindingStatus;
  what: string;
  /** How to fix it (warn and fail). */
  fix?: string | undefined;
}

const COLOR: Record<FindingStatus, string> = { ok: '\x1b[32m', warn: '\x1b[1;33m', fail: '\x1b[1;31m' };

export function formatFinding(f: Finding, color = false): string {
  const status = f.status.padEnd(4);
  const shown = color ? `${COLOR[f.status]}${status}\x1b[0m` : status;
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  return `${shown}  ${oneLine(f.what)}${f.fix && f.status !== 'ok' ? `  ${oneLine(f.fix)}` : ''}`;
}

/** Exit code of a list of findings: 1 if any failed. */
export function exitCodeOf(findings: readonly Finding[]): number {
  return findings.some((f) => f.status === 'fail') ? 1 : 0;
}

/** Colour for stdout when it is a terminal and NO_COLOR is not set. */
export function useColor(stream: { isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
}
