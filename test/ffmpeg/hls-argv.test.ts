import { describe, expect, it } from 'vitest';
import { buildHlsArgv, filterGraph, shellQuote, type HlsOutputOptions } from '../../src/ffmpeg/hls-argv.js';
import { fitLadder } from '../../src/ladder/fit-ladder.js';
import { loadPreset } from '../../src/ladder/preset-file.js';
import { buildInputArgs } from '../../src/source/input-args.js';
import { parseInput } from '../../src/source/input-spec.js';

const ladder = fitLadder(await loadPreset('1080p'), { width: 1920, height: 1080, fps: 30 });
const input = buildInputArgs(parseInput('testsrc:1920x1080'), true, { realtime: true, loop: false });
const out: HlsOutputOptions = { outDir: '/tmp/out', segmentSeconds: 2, window: 6, format: 'ts', keep: false };

function valueAfter(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

describe('buildHlsArgv', () => {
  const argv = buildHlsArgv(input, ladder, out);

  it('decodes once and splits into one scaled output per rung at a constant frame rate', () => {
    expect(valueAfter(argv, '-filter_complex')).toBe(filterGraph('0:v:0', ladder));
    expect(filterGraph('0:v:0', ladder)).toMatch(/^\[0:v:0\]fps=30,split=4\[s0\]\[s1\]\[s2\]\[s3\];\[s0\]scale=1920:1080/);
    expect(argv.filter((a) => a === '-i')).toHaveLength(2); // video + tone, each read once
    expect(argv.filter((a, i) => a === '-map' && argv[i + 1]!.startsWith('[v'))).toHaveLength(4);
    expect(argv.filter((a, i) => a === '-map' && argv[i + 1] === '1:a:0')).toHaveLength(4);
  });

  it('puts every rung on one keyframe grid: forced by time, no scene cuts, closed GOPs', () => {
    expect(valueAfter(argv, '-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(valueAfter(argv, '-g')).toBe('60');
    expect(valueAfter(argv, '-keyint_min')).toBe('60');
    expect(valueAfter(argv, '-sc_threshold')).toBe('0');
    expect(valueAfter(argv, '-flags')).toBe('+cgop');
  });

  it('sets bitrate, maxrate, bufsize, profile and level per rung', () => {
    expect(valueAfter(argv, '-b:v:0')).toBe('5000k');
    expect(valueAfter(argv, '-maxrate:v:0')).toBe('5350k');
    expect(valueAfter(argv, '-bufsize:v:3')).toBe('1200k');
    expect(valueAfter(argv, '-profile:v:1')).toBe('high');
    expect(valueAfter(argv, '-level:v:3')).toBe('3.0');
    expect(valueAfter(argv, '-b:a:3')).toBe('96k');
    expect(valueAfter(argv, '-preset')).toBe('superfast');
  });

  it('segments into HLS with temp files, PDT, independent segments, a live window and a master', () => {
    expect(valueAfter(argv, '-f')).toBe('lavfi');
    expect(argv.slice(argv.lastIndexOf('-f'), argv.lastIndexOf('-f') + 2)).toEqual(['-f', 'hls']);
    expect(valueAfter(argv, '-hls_flags')).toBe('independent_segments+program_date_time+temp_file+delete_segments');
    expect(valueAfter(argv, '-hls_list_size')).toBe('6');
    expect(valueAfter(argv, '-hls_time')).toBe('2');
    expect(valueAfter(argv, '-hls_segment_type')).toBe('mpegts');
    expect(valueAfter(argv, '-hls_segment_filename')).toBe('/tmp/out/%v/seg_%d.ts');
    expect(valueAfter(argv, '-master_pl_name')).toBe('master.m3u8');
    expect(valueAfter(argv, '-var_stream_map')).toBe('v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p');
    expect(argv[argv.length - 1]).toBe('/tmp/out/%v/index.m3u8');
    expect(argv).not.toContain('-t');
    expect(valueAfter(argv, '-progress')).toBe('pipe:1');
    expect(argv).toContain('-nostdin');
  });

  it('writes fMP4 with init sections', () => {
    const a = buildHlsArgv(input, ladder, { ...out, format: 'fmp4' });
    expect(valueAfter(a, '-hls_segment_type')).toBe('fmp4');
    expect(valueAfter(a, '-hls_fmp4_init_filename')).toBe('init.mp4');
    expect(valueAfter(a, '-hls_segment_filename')).toBe('/tmp/out/%v/seg_%d.m4s');
  });

  it('keeps everything as an EVENT playlist with --keep', () => {
    const a = buildHlsArgv(input, ladder, { ...out, keep: true });
    expect(valueAfter(a, '-hls_playlist_type')).toBe('event');
    expect(valueAfter(a, '-hls_list_size')).toBe('0');
    expect(valueAfter(a, '-hls_flags')).not.toContain('delete_segments');
  });

  it('limits media time with --duration and continues playlists after a restart', () => {
    const a = buildHlsArgv(input, ladder, { ...out, durationSeconds: 12, appendToExisting: true });
    expect(valueAfter(a, '-t')).toBe('12');
    expect(valueAfter(a, '-hls_flags')).toContain('append_list');
  });

  it('maps no audio for a silent source and reads stdin only for -', () => {
    const silent = buildInputArgs(parseInput('rtsp://cam/s'), false, { realtime: true, loop: false });
    const a = buildHlsArgv(silent, ladder, out);
    expect(valueAfter(a, '-var_stream_map')).toBe('v:0,name:1080p v:1,name:720p v:2,name:480p v:3,name:360p');
    expect(a).not.toContain('-c:a');
    const fromStdin = buildHlsArgv(buildInputArgs(parseInput('-'), true, { realtime: true, loop: false }), ladder, out);
    expect(fromStdin).not.toContain('-nostdin');
    expect(fromStdin).toContain('pipe:0');
  });
});

describe('shellQuote', () => {
  it('quotes what a shell would split or expand', () => {
    expect(shellQuote(['ffmpeg', '-i', 'a b.mp4', '-filter_complex', '[0:v]split=2[a][b]', "it's"])).toBe(
      `ffmpeg -i 'a b.mp4' -filter_complex '[0:v]split=2[a][b]' 'it'\\''s'`,
    );
  });
});
