import { describe, expect, it } from 'vitest';
import { encodeKey, isSafeKey, parseRequestPath } from '../../src/server/request-path.js';

describe('parseRequestPath', () => {
  it.each([
    ['/', ''],
    ['/live/master.m3u8', 'live/master.m3u8'],
    ['/live/720p/index.m3u8?_HLS_msn=4&_HLS_part=1', 'live/720p/index.m3u8'],
    ['/cam%201/seg.ts', 'cam 1/seg.ts'],
    ['/%252e%252e/x', '%2e%2e/x'],
    ['http://example.com/live/seg.ts', 'live/seg.ts'],
  ])('%s -> %s', (target, key) => {
    expect(parseRequestPath(target)).toEqual({ ok: true, key });
  });

  it.each(['/../x', '/%2e%2e/x', '/.%2e/x', '/a/%2E', '/a%2fb', '/a%2Fb', '/a%5cb', '/a\\b', '/a%00', '/a//b', '/a/', '/%e0%a4%a', 'live/x'])(
    'refuses %s',
    (target) => {
      expect(parseRequestPath(target).ok).toBe(false);
    },
  );

  it('checks and encodes keys', () => {
    expect(isSafeKey('live/720p/seg_1.ts')).toBe(true);
    expect(isSafeKey('')).toBe(false);
    expect(isSafeKey('a/../b')).toBe(false);
    expect(encodeKey('cam 1/a#b.ts')).toBe('cam%201/a%23b.ts');
  });
});
