import type { InputSpec } from './input-spec.js';

export interface InputOptions {
  /** Read files and synthetic sources at their native rate (a live pipeline); off with --no-realtime. */
  realtime: boolean;
  loop: boolean;
}

/** ffmpeg's input side for a source: the args, and where its video and audio streams are. */
export interface InputArgs {
  args: string[];
  video: string;
  /** Stream specifier of the audio, or undefined when the source has none. */
  audio: string | undefined;
  readsStdin: boolean;
}

const TONE = 'sine=frequency=1000:sample_rate=48000:beep_factor=4';

/** Pure: builds the input arguments for one source. */
export function buildInputArgs(spec: InputSpec, hasAudio: boolean, opts: InputOptions): InputArgs {
  const re = opts.realtime ? ['-re'] : [];
  switch (spec.kind) {
    case 'testsrc':
      return {
        args: [
          ...re, '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`,
          ...re, '-f', 'lavfi', '-i', TONE,
        ],
        video: '0:v:0',
        audio: '1:a:0',
        readsStdin: false,
      };
    case 'file':
      return {
        args: [...re, ...(opts.loop ? ['-stream_loop', '-1'] : []), '-i', spec.path],
        video: '0:v:0',
        audio: hasAudio ? '0:a:0' : undefined,
        readsStdin: false,
      };
    case 'device':
      return { args: deviceArgs(spec), video: '0:v:0', audio: hasAudio ? '0:a:0' : undefined, readsStdin: false };
    case 'url':
      return { args: [...urlArgs(spec.protocol), '-i', spec.url], video: '0:v:0', audio: hasAudio ? '0:a:0' : undefined, readsStdin: false };
    case 'stdin':
      return { args: ['-i', 'pipe:0'], video: '0:v:0', audio: hasAudio ? '0:a:0' : undefined, readsStdin: true };
  }
}

function deviceArgs(spec: Extract<InputSpec, { kind: 'device' }>): string[] {
  switch (spec.format) {
    case 'v4l2':
      // Cameras deliver frames as they come; a small queue absorbs scheduling jitter.
      return ['-f', 'v4l2', '-thread_queue_size', '512', '-i', spec.device];
    case 'avfoundation':
      return ['-f', 'avfoundation', '-framerate', '30', '-i', spec.device.includes(':') ? spec.device : `${spec.device}:none`];
    case 'dshow':
      return ['-f', 'dshow', '-i', spec.device];
  }
}

function urlArgs(protocol: string): string[] {
  switch (protocol) {
    case 'rtsp':
    case 'rtsps':
      // TCP interleaving survives NAT and loss better than RTP over UDP.
      return ['-rtsp_transport', 'tcp', '-timeout', '10000000'];
    case 'rtmp':
    case 'rtmps':
    case 'http':
    case 'https':
      return ['-rw_timeout', '10000000'];
    default:
      return [];
  }
}
