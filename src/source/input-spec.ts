import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** What `--input` names, classified once at the edge. */
export type InputSpec =
  | { kind: 'testsrc'; width: number; height: number; fps: number }
  | { kind: 'file'; path: string }
  | { kind: 'device'; format: 'v4l2' | 'avfoundation' | 'dshow'; device: string }
  | { kind: 'url'; url: string; protocol: NetworkProtocol }
  | { kind: 'stdin' };

export type NetworkProtocol = 'rtmp' | 'rtmps' | 'srt' | 'rtsp' | 'rtsps' | 'udp' | 'rtp' | 'http' | 'https';

const NETWORK: readonly NetworkProtocol[] = ['rtmp', 'rtmps', 'srt', 'rtsp', 'rtsps', 'udp', 'rtp', 'http', 'https'];

/** `testsrc`, `testsrc:1920x1080`, `testsrc:1280x720@60`. */
const TESTSRC = /^testsrc(?::(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?)?$/;

export function parseInput(input: string): InputSpec {
  const value = input.trim();
  if (value === '') throw new UsageError('--input is empty');
  if (value === '-') return { kind: 'stdin' };

  const test = TESTSRC.exec(value);
  if (test) return testsrc(test);

  if (value.startsWith('avfoundation:')) return device('avfoundation', value.slice('avfoundation:'.length), value);
  if (value.startsWith('dshow:')) return device('dshow', value.slice('dshow:'.length), value);
  if (/^\/dev\/video\d+$/.test(value) || value.startsWith('v4l2:')) {
    const dev = value.startsWith('v4l2:') ? value.slice('v4l2:'.length) : value;
    if (!existsSync(dev)) throw new UsageError(`no camera at ${dev} (is it plugged in? \`livepipe doctor\` lists video devices)`);
    return { kind: 'device', format: 'v4l2', device: dev };
  }

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme) return network(value, scheme);

  const file = path.resolve(value);
  if (!existsSync(file)) throw new UsageError(`input file not found: ${value}`);
  if (!statSync(file).isFile()) throw new UsageError(`input is not a file: ${value}`);
  return { kind: 'file', path: file };
}

function testsrc(m: RegExpExecArray): InputSpec {
  const width = m[1] ? Number(m[1]) : 1280;
  const height = m[2] ? Number(m[2]) : 720;
  const fps = m[3] ? Number(m[3]) : 30;
  if (width < 16 || height < 16 || width > 7680 || height > 4320 || width % 2 || height % 2) {
    throw new UsageError(`testsrc size must be even and between 16x16 and 7680x4320, got ${width}x${height}`);
  }
  if (fps <= 0 || fps > 120) throw new UsageError(`testsrc frame rate must be between 1 and 120, got ${fps}`);
  return { kind: 'testsrc', width, height, fps };
}

function device(format: 'avfoundation' | 'dshow', dev: string, raw: string): InputSpec {
  if (dev === '') throw new UsageError(`--input ${raw}: name the device, e.g. avfoundation:0 or dshow:video=Integrated Camera`);
  return { kind: 'device', format, device: dev };
}

function network(value: string, scheme: string): InputSpec {
  if (scheme === 'file') {
    return parseInput(decodeURIComponent(new URL(value).pathname));
  }
  if (!(NETWORK as readonly string[]).includes(scheme)) {
    throw new UsageError(`unsupported input URL scheme "${scheme}://" (supported: ${NETWORK.map((s) => `${s}://`).join(', ')})`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`malformed input URL: ${value}`);
  }
  if (url.hostname === '' && scheme !== 'udp' && scheme !== 'rtp') throw new UsageError(`input URL has no host: ${value}`);
  return { kind: 'url', url: value, protocol: scheme as NetworkProtocol };
}

/** Whether the source has an end of its own (so `--loop` and progress bars make sense). */
export function isFinite(spec: InputSpec): boolean {
  return spec.kind === 'file';
}

export function describeInput(spec: InputSpec): string {
  switch (spec.kind) {
    case 'testsrc':
      return `testsrc ${spec.width}x${spec.height}@${spec.fps}`;
    case 'file':
      return spec.path;
    case 'device':
      return `${spec.format}:${spec.device}`;
    case 'url':
      return spec.url;
    case 'stdin':
      return 'stdin';
  }
}
