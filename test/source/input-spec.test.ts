import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { parseInput } from '../../src/source/input-spec.js';
import { buildInputArgs } from '../../src/source/input-args.js';
import { UsageError } from '../../src/errors.js';
import { FIXTURES } from '../helpers/cli.js';

const live = { realtime: true, loop: false };

describe('parseInput', () => {
  it.each([
    ['testsrc', { kind: 'testsrc', width: 1280, height: 720, fps: 30 }],
    ['testsrc:1920x1080@60', { kind: 'testsrc', width: 1920, height: 1080, fps: 60 }],
    ['-', { kind: 'stdin' }],
    ['rtmp://ingest.example/live/key', { kind: 'url', protocol: 'rtmp' }],
    ['rtmps://ingest.example/live/key', { kind: 'url', protocol: 'rtmps' }],
    ['srt://127.0.0.1:9000?mode=caller', { kind: 'url', protocol: 'srt' }],
    ['rtsp://cam.local/stream1', { kind: 'url', protocol: 'rtsp' }],
    ['udp://239.0.0.1:1234', { kind: 'url', protocol: 'udp' }],
    ['https://example.com/live/master.m3u8', { kind: 'url', protocol: 'https' }],
    ['avfoundation:0', { kind: 'device', format: 'avfoundation', device: '0' }],
    ['dshow:video=Integrated Camera', { kind: 'device', format: 'dshow', device: 'video=Integrated Camera' }],
  ])('classifies %s', (input, expected) => {
    expect(parseInput(input)).toMatchObject(expected);
  });

  it('classifies a file and resolves its path', () => {
    const spec = parseInput(path.join(FIXTURES, 'clip-480p30.mp4'));
    expect(spec).toEqual({ kind: 'file', path: path.join(FIXTURES, 'clip-480p30.mp4') });
  });

  it.each([
    ['/no/such/file.mp4', /input file not found/],
    ['/dev/video97', /no camera at \/dev\/video97/],
    ['gopher://old.example/x', /unsupported input URL scheme/],
    ['testsrc:641x361', /even/],
    ['', /empty/],
    [FIXTURES, /not a file/],
  ])('rejects %s', (input, message) => {
    const err = (() => {
      try {
        parseInput(input);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('buildInputArgs', () => {
  it('reads testsrc at native rate with a tone as audio', () => {
    const a = buildInputArgs(parseInput('testsrc:640x360@25'), true, live);
    expect(a.args).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-re', '-f', 'lavfi', '-i', expect.stringMatching(/^sine=/)]);
    expect(a).toMatchObject({ video: '0:v:0', audio: '1:a:0', readsStdin: false });
  });

  it('honours --no-realtime and --loop for files', () => {
    const file = parseInput(path.join(FIXTURES, 'clip-480p30.mp4'));
    expect(buildInputArgs(file, true, { realtime: false, loop: true }).args).toEqual(['-stream_loop', '-1', '-i', expect.any(String)]);
    expect(buildInputArgs(file, false, live)).toMatchObject({ args: ['-re', '-i', expect.any(String)], audio: undefined });
  });

  it('uses v4l2 for /dev/video devices and platform demuxers elsewhere', () => {
    expect(buildInputArgs({ kind: 'device', format: 'v4l2', device: '/dev/video0' }, false, live).args).toEqual(
      ['-f', 'v4l2', '-thread_queue_size', '512', '-i', '/dev/video0'],
    );
    expect(buildInputArgs(parseInput('avfoundation:1'), false, live).args).toEqual(['-f', 'avfoundation', '-framerate', '30', '-i', '1:none']);
    expect(buildInputArgs(parseInput('dshow:video=Cam'), false, live).args).toEqual(['-f', 'dshow', '-i', 'video=Cam']);
  });

  it('uses TCP for RTSP and timeouts for network reads, never -re', () => {
    expect(buildInputArgs(parseInput('rtsp://cam/s'), true, live).args).toEqual(['-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', 'rtsp://cam/s']);
    expect(buildInputArgs(parseInput('rtmp://h/app/k'), true, live).args).toEqual(['-rw_timeout', '10000000', '-i', 'rtmp://h/app/k']);
    expect(buildInputArgs(parseInput('srt://h:9000'), true, live).args).toEqual(['-i', 'srt://h:9000']);
  });

  it('reads stdin from pipe:0', () => {
    expect(buildInputArgs(parseInput('-'), true, live)).toMatchObject({ args: ['-i', 'pipe:0'], readsStdin: true, audio: '0:a:0' });
  });
});
