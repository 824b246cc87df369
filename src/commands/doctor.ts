import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { exitCodeOf, formatFinding, useColor, type Finding } from '../check/finding.js';
import { oneLine } from '../errors.js';
import { locateFfmpeg, onPath, type FfmpegBinaries } from '../ffmpeg/locate.js';
import { createOrigin } from '../origins/create-origin.js';
import { probeOrigin } from '../origins/probe-origin.js';

export interface DoctorOptions {
  /** Also check that this origin accepts a write and a delete. */
  origin?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Where video devices live (default /dev; tests point it elsewhere). */
  deviceDir?: string;
  platform?: NodeJS.Platform;
}

export const REQUIRED_ENCODERS = ['libx264', 'aac'] as const;
export const REQUIRED_MUXERS = ['hls', 'mpegts'] as const;
/** Needed only for --format fmp4. */
export const OPTIONAL_MUXERS = ['mp4'] as const;

const INSTALL = 'install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or set LIVEPIPE_FFMPEG/LIVEPIPE_FFPROBE';

/**
 * `livepipe doctor`: what this machine needs to run livepipe. Prints `ok|warn|fail  <what>  <fix>`
 * lines and returns 1 if anything failed. A malformed --origin throws UsageError (exit 2).
 */
export async function runDoctor(opts: DoctorOptions, out: (line: string) => void, color = useColor(process.stdout)): Promise<number> {
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    findings.push(f);
    out(formatFinding(f, color));
  };
  // A malformed origin URL is a usage error: find out before checking anything else.
  const origin = opts.origin !== undefined ? createOrigin(opts.origin, { headers: [], ...(opts.env ? { env: opts.env } : {}) }) : undefined;

  add(checkNode(process.versions.node));
  const env = opts.env ?? process.env;
  const bins = locateFfmpeg(env);
  const ffmpeg = await checkBinary('ffmpeg', bins.ffmpeg, bins.origin, env);
  add(ffmpeg.finding);
  add((await checkBinary('ffprobe', bins.ffprobe, env['LIVEPIPE_FFPROBE'] ? 'env' : 'system', env)).finding);
  if (ffmpeg.runs) {
    for (const f of await checkCapabilities(bins)) add(f);
  }
  for (const f of await checkVideoDevices(opts.deviceDir ?? '/dev', opts.platform ?? process.platform)) add(f);
  if ((opts.platform ?? process.platform) === 'linux' && !existsSync('/usr/bin/setpriv')) {
    add({ status: 'warn', what: 'setpriv not found', fix: 'install util-linux: without it an ffmpeg can outlive a killed livepipe' });
  }
  if (origin) add(await checkOrigin(origin));
  return exitCodeOf(findings);
}

export function checkNode(version: string): Finding {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 11);
  return ok
    ? { status: 'ok', what: `Node.js ${version}` }
    : { status: 'fail', what: `Node.js ${version} is too old`, fix: 'install Node.js 20.11 or newer' };
}

/** Runs `<binary> -version` and reports which one was found, where and its version. */
export async function checkBinary(name: string, binary: string, origin: FfmpegBinaries['origin'], env: NodeJS.ProcessEnv = process.env): Promise<{ finding: Finding; runs: boolean }> {
  const resolved = path.isAbsolute(binary) ? binary : onPath(binary, env);
  if (!resolved || !existsSync(resolved)) {
    return { finding: { status: 'fail', what: `${name} not found${path.isAbsolute(binary) ? ` at ${binary}` : ' on PATH'}`, fix: INSTALL }, runs: false };
  }
  const r = await execa(resolved, ['-hide_banner', '-version'], { reject: false, timeout: 15_000, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const reason = String(r.stderr).trim().split('\n').pop() || r.shortMessage || 'failed';
    return { finding: { status: 'fail', what: `${name} at ${resolved} does not run: ${reason}`, fix: INSTALL }, runs: false };
  }
  const version = parseVersion(String(r.stdout));
  const from = origin === 'env' ? `from LIVEPIPE_${name.toUpperCase()}` : origin === 'ffmpeg-static' ? 'from ffmpeg-static' : 'on PATH';
  return { finding: { status: 'ok', what: `${name} ${version ?? '(unknown version)'} at ${resolved} (${from})` }, runs: true };
}

/** `ffmpeg version 5.1.9-0+deb12u1 Copyright …` → `5.1.9-0+deb12u1`. */
export function parseVersion(text: string): string | undefined {
  return /(?:ffmpeg|ffprobe) version (\S+)/.exec(text)?.[1];
}

/** Names from `ffmpeg -encoders` / `-muxers` / `-demuxers` output (the lines after the `--` separator). */
export function parseCodecList(text: string): Set<string> {
  const names = new Set<string>();
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^\s*-{2,}\s*$/.test(l));
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*[A-Z.]{1,6}\s+(\S+)/.exec(line);
    if (m) for (const n of m[1]!.split(',')) names.add(n);
  }
  return names;
}

async function checkCapabilities(bins: FfmpegBinaries): Promise<Finding[]> {
  const list = async (what: string) => {
    const r = await execa(bins.ffmpeg, ['-hide_banner', what], { reject: false, timeout: 15_000, stdin: 'ignore' });
    return parseCodecList(String(r.stdout));
  };
  const encoders = await list('-encoders');
  const muxers = await list('-muxers');
  const out: Finding[] = [];
  const missingEncoders = REQUIRED_ENCODERS.filter((e) => !encoders.has(e));
  out.push(missingEncoders.length
    ? { status: 'fail', what: `ffmpeg lacks the encoder${missingEncoders.length > 1 ? 's' : ''} ${missingEncoders.join(', ')}`, fix: `use an ffmpeg built with ${missingEncoders.map((e) => (e === 'libx264' ? '--enable-gpl --enable-libx264' : e)).join(' and ')} (distribution packages and ffmpeg-static have them)` }
    : { status: 'ok', what: `encoders ${REQUIRED_ENCODERS.join(', ')}` });
  const missingMuxers = REQUIRED_MUXERS.filter((m) => !muxers.has(m));
  out.push(missingMuxers.length
    ? { status: 'fail', what: `ffmpeg lacks the muxer${missingMuxers.length > 1 ? 's' : ''} ${missingMuxers.join(', ')}`, fix: 'use a full ffmpeg build (distribution package or ffmpeg-static)' }
    : { status: 'ok', what: `muxers ${REQUIRED_MUXERS.join(', ')}` });
  for (const m of OPTIONAL_MUXERS) {
    if (!muxers.has(m)) out.push({ status: 'warn', what: `ffmpeg lacks the ${m} muxer`, fix: '--format fmp4 will not work; use a full ffmpeg build' });
  }
  return out;
}

/** Cameras: /dev/video* on Linux (none is a warning: files, URLs and testsrc still work). */
export async function checkVideoDevices(dir: string, platform: NodeJS.Platform): Promise<Finding[]> {
  if (platform !== 'linux') {
    const how = platform === 'darwin' ? 'ffmpeg -f avfoundation -list_devices true -i ""' : 'ffmpeg -list_devices true -f dshow -i dummy';
    return [{ status: 'warn', what: `video devices are not listed on ${platform}`, fix: `list them with: ${how}` }];
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^video\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  } catch {
    names = [];
  }
  if (names.length === 0) {
    return [{ status: 'warn', what: `no video devices (${path.join(dir, 'video*')})`, fix: 'connect a camera, or use a file, a URL or testsrc as --input' }];
  }
  const out: Finding[] = [];
  const readable: string[] = [];
  for (const n of names) {
    const device = path.join(dir, n);
    try {
      await access(device, constants.R_OK | constants.W_OK);
      readable.push(device);
    } catch {
      out.push({ status: 'warn', what: `${device} is not accessible to this user`, fix: 'add yourself to the "video" group (sudo usermod -aG video $USER) and log in again' });
    }
  }
  if (readable.length) out.unshift({ status: 'ok', what: `video devices: ${readable.join(', ')}` });
  return out;
}

async function checkOrigin(origin: ReturnType<typeof createOrigin>): Promise<Finding> {
  try {
    await probeOrigin(origin, AbortSignal.timeout(30_000));
    return { status: 'ok', what: `origin ${origin.description} accepts a write and a delete` };
  } catch (e) {
    const reason = (e as Error).name === 'TimeoutError' ? `origin ${origin.description} did not answer within 30 s` : oneLine(e);
    return { status: 'fail', what: reason, fix: 'check the URL, the credentials (LIVEPIPE_ORIGIN_TOKEN, AWS_*, MOMENTO_API_KEY) and that the origin allows PUT and DELETE' };
  } finally {
    await origin.close().catch(() => undefined);
  }
}
