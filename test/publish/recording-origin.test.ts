import { describe, expect, it } from 'vitest';
import { checkPublishLog, checkTree, parsePlaylist, referencedTree, resolveKey, type LoggedRequest } from '../helpers/recording-origin.js';

// Hand-made request logs: the checker must accept a correct publisher and catch each kind of mistake.

function media(sequence: number, segments: string[], opts: { ended?: boolean; map?: string; type?: string } = {}): string {
  return [
    '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${sequence}`,
    ...(opts.type ? [`#EXT-X-PLAYLIST-TYPE:${opts.type}`] : []),
    ...(opts.map ? [`#EXT-X-MAP:URI="${opts.map}"`] : []),
    ...segments.flatMap((s) => ['#EXTINF:1.000000,', s]),
    ...(opts.ended ? ['#EXT-X-ENDLIST'] : []),
    '',
  ].join('\n');
}

function master(rungs: string[]): string {
  return ['#EXTM3U', ...rungs.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=640x360`, `${r}/index.m3u8`]), ''].join('\n');
}

/** A request arriving at `at` and answered `took` ms later. */
function put(key: string, at: number, body = 'x', opts: { took?: number; status?: number } = {}): LoggedRequest {
  return { method: 'PUT', path: `/live/${key}`, body: Buffer.from(body), time: at, endTime: at + (opts.took ?? 1), status: opts.status ?? 201 };
}
function del(key: string, at: number, opts: { took?: number; status?: number } = {}): LoggedRequest {
  return { method: 'DELETE', path: `/live/${key}`, body: Buffer.alloc(0), time: at, endTime: at + (opts.took ?? 1), status: opts.status ?? 204 };
}

/** A correct live run of one rung with a window of 2, ending with ENDLIST. */
function goodLog(): LoggedRequest[] {
  return [
    put('.livepipe-probe-abc', 0, 'probe'),
    del('.livepipe-probe-abc', 2),
    put('360p/seg_0.ts', 1000),
    put('360p/index.m3u8', 1002, media(0, ['seg_0.ts'])),
    put('master.m3u8', 1010, master(['360p'])),
    put('360p/seg_1.ts', 2000),
    put('360p/index.m3u8', 2002, media(0, ['seg_0.ts', 'seg_1.ts'])),
    put('360p/seg_2.ts', 3000),
    put('360p/index.m3u8', 3002, media(1, ['seg_1.ts', 'seg_2.ts'])),
    put('360p/seg_3.ts', 4000),
    put('360p/index.m3u8', 4002, media(2, ['seg_2.ts', 'seg_3.ts'], { ended: true })),
    del('360p/seg_0.ts', 4500), // last referenced by the playlist acknowledged at 2003
    del('360p/seg_1.ts', 5100), // last referenced by the playlist acknowledged at 3003
  ];
}

describe('publish log checker', () => {
  it('accepts a correct log, with the state replayed from it', () => {
    expect(checkPublishLog(goodLog(), { prefix: '/live/', expectEnded: true, exact: true })).toEqual([]);
  });

  it('ignores the probe object and requests outside the prefix', () => {
    const log = [...goodLog(), put('../other/seg_9.ts', 6000), { ...del('x', 6001), path: '/elsewhere/master.m3u8' }];
    expect(checkPublishLog(log, { prefix: '/live/', expectEnded: true })).toEqual([]);
  });

  it('(a) catches a playlist sent before a segment it lists was acknowledged', () => {
    const log = goodLog();
    log[5] = put('360p/seg_1.ts', 2000, 'x', { took: 50 }); // acknowledged at 2050, playlist sent at 2002
    const violations = checkPublishLog(log, { prefix: '/live/' });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^\(a\) #6 PUT 360p\/index\.m3u8 .*before it was acknowledged: 360p\/seg_1\.ts$/);
  });

  it('(a) does not count a failed segment PUT as acknowledged, and catches a missing init section', () => {
    const failed = goodLog();
    failed[5] = put('360p/seg_1.ts', 2000, 'x', { status: 503 });
    expect(checkPublishLog(failed, { prefix: '/live/' }).filter((v) => v.startsWith('(a)')).length).toBeGreaterThanOrEqual(1);

    const fmp4 = [
      put('360p/seg_0.m4s', 1000),
      put('360p/index.m3u8', 1002, media(0, ['seg_0.m4s'], { map: 'init_0.mp4' })),
      put('360p/init_0.mp4', 1003),
      put('master.m3u8', 1010, master(['360p'])),
    ];
    expect(checkPublishLog(fmp4, { prefix: '/live/' })).toEqual([
      expect.stringMatching(/^\(a\) #1 PUT 360p\/index\.m3u8 .*before it was acknowledged: 360p\/init_0\.mp4$/),
    ]);
  });

  it('(a) catches a playlist that lists a segment already deleted', () => {
    const log = [...goodLog().slice(0, 7), del('360p/seg_0.ts', 2500), put('360p/index.m3u8', 2600, media(0, ['seg_0.ts', 'seg_1.ts']))];
    const violations = checkPublishLog(log, { prefix: '/live/', recentMs: 0 });
    expect(violations.some((v) => /^\(a\) #8 .*after it was deleted: 360p\/seg_0\.ts/.test(v))).toBe(true);
  });

  it('(b) catches a media sequence going back and a playlist after the final one', () => {
    const back = goodLog();
    back.splice(9, 0, put('360p/index.m3u8', 3500, media(0, ['seg_0.ts', 'seg_1.ts'])));
    expect(checkPublishLog(back, { prefix: '/live/', recentMs: 0 })).toEqual([
      expect.stringMatching(/^\(b\) #9 PUT 360p\/index\.m3u8 .*media sequence went back from 1 \(#8\) to 0$/),
    ]);

    const shrink = goodLog();
    shrink.splice(7, 0, put('360p/index.m3u8', 2500, media(0, ['seg_0.ts'])));
    expect(checkPublishLog(shrink, { prefix: '/live/' })).toEqual([expect.stringMatching(/^\(b\) #7 .*shrank from 2 to 1 segments/)]);

    const afterEnd = [...goodLog(), put('360p/seg_4.ts', 6000), put('360p/index.m3u8', 6002, media(3, ['seg_3.ts', 'seg_4.ts']))];
    const violations = checkPublishLog(afterEnd, { prefix: '/live/', expectEnded: true });
    expect(violations).toContainEqual(expect.stringMatching(/^\(b\) #14 .*after the final playlist with #EXT-X-ENDLIST \(#10\)$/));
    expect(violations).toContainEqual('(e) the final 360p/index.m3u8 has no #EXT-X-ENDLIST');

    // The same final playlist sent again is harmless.
    expect(checkPublishLog([...goodLog(), put('360p/index.m3u8', 6000, media(2, ['seg_2.ts', 'seg_3.ts'], { ended: true }))], { prefix: '/live/' })).toEqual([]);
  });

  it('(b) orders playlists by when the origin acknowledged them, not by when they were sent', () => {
    const log = goodLog();
    // The sequence-0 playlist is sent first but lands after the sequence-1 one.
    log[6] = put('360p/index.m3u8', 2002, media(0, ['seg_0.ts', 'seg_1.ts']), { took: 1500 });
    expect(checkPublishLog(log, { prefix: '/live/', recentMs: 0 })).toContainEqual(expect.stringMatching(/^\(b\) #6 .*went back from 1 \(#8\) to 0$/));
  });

  it('(c) catches deletes of segments that a published playlist still lists', () => {
    const latest = goodLog();
    latest.splice(9, 0, del('360p/seg_2.ts', 3500));
    expect(checkPublishLog(latest, { prefix: '/live/' })).toContainEqual(
      expect.stringMatching(/^\(c\) #9 DELETE 360p\/seg_2\.ts .*still referenced by the latest acknowledged playlist of 360p \(#8, media sequence 1\)$/),
    );

    const recent = goodLog();
    recent[11] = del('360p/seg_0.ts', 3200); // the playlist listing it was acknowledged at 2003, replaced at 3003
    expect(checkPublishLog(recent, { prefix: '/live/' })).toEqual([]); // 1197 ms: past the default 1000 ms
    expect(checkPublishLog(recent, { prefix: '/live/', recentMs: 1500 })).toEqual([
      expect.stringMatching(/^\(c\) #11 DELETE 360p\/seg_0\.ts .*acknowledged only 1197 ms before \(#6, media sequence 0\)$/),
    ]);

    const inFlight = goodLog();
    inFlight[8] = put('360p/index.m3u8', 3002, media(1, ['seg_1.ts', 'seg_2.ts']), { took: 1000 });
    inFlight.splice(9, 0, del('360p/seg_1.ts', 3500));
    expect(checkPublishLog(inFlight, { prefix: '/live/', recentMs: 0 })).toContainEqual(
      expect.stringMatching(/^\(c\) #9 DELETE 360p\/seg_1\.ts .*referenced by playlist PUT #8, in flight at the time$/),
    );

    const playlist = [...goodLog(), del('360p/index.m3u8', 7000)];
    expect(checkPublishLog(playlist, { prefix: '/live/' })).toContainEqual(expect.stringMatching(/^\(c\) #13 DELETE 360p\/index\.m3u8 .*never be deleted/));
  });

  it('(d) catches a master sent before the playlists it lists', () => {
    const log = goodLog();
    log[4] = put('master.m3u8', 1010, master(['360p', '240p']));
    expect(checkPublishLog(log, { prefix: '/live/' })).toEqual([
      expect.stringMatching(/^\(d\) #4 PUT master\.m3u8 .*before 240p\/index\.m3u8 was acknowledged$/),
      '(e) the master lists 240p/index.m3u8, which is not on the origin',
    ]);
    const early = goodLog();
    [early[3], early[4]] = [put('master.m3u8', 1001, master(['360p'])), put('360p/index.m3u8', 1002, media(0, ['seg_0.ts']))];
    expect(checkPublishLog(early, { prefix: '/live/' })).toEqual([expect.stringMatching(/^\(d\) #3 PUT master\.m3u8/)]);
  });

  it('(e) checks the final tree, from the log or from what the origin really holds', () => {
    const lost = [...goodLog(), del('360p/seg_3.ts', 9000)];
    expect(checkPublishLog(lost, { prefix: '/live/' })).toContainEqual(expect.stringMatching(/^\(c\) #13 DELETE 360p\/seg_3\.ts/));
    expect(checkPublishLog(lost, { prefix: '/live/' })).toContainEqual('(e) the final 360p/index.m3u8 references 360p/seg_3.ts, which is not on the origin');

    const real = new Map<string, string>([
      ['master.m3u8', master(['360p'])],
      ['360p/index.m3u8', media(2, ['seg_2.ts', 'seg_3.ts'], { ended: true })],
      ['360p/seg_2.ts', 'x'],
      ['360p/seg_0.ts', 'x'],
    ]);
    expect(checkPublishLog(goodLog(), { prefix: '/live/', finalObjects: real, exact: true })).toEqual([
      '(e) the final 360p/index.m3u8 references 360p/seg_3.ts, which is not on the origin',
      '(e) 360p/seg_0.ts is left on the origin but nothing references it',
    ]);
    expect(checkTree(new Map())).toEqual(['(e) the origin has no master.m3u8']);
    expect(referencedTree(real)).toEqual(['360p/index.m3u8', '360p/seg_2.ts', '360p/seg_3.ts', 'master.m3u8']);
  });

  it('parses playlists on its own', () => {
    const facts = parsePlaylist(media(7, ['seg_7.m4s', 'seg_8.m4s'], { ended: true, map: 'init_0.mp4', type: 'EVENT' }));
    expect(facts).toEqual({ uris: ['seg_7.m4s', 'seg_8.m4s'], attributeUris: ['init_0.mp4'], mediaSequence: 7, ended: true, playlistType: 'EVENT' });
    expect(resolveKey('360p/index.m3u8', 'seg%201.ts')).toBe('360p/seg 1.ts');
    expect(resolveKey('master.m3u8', '240p/index.m3u8')).toBe('240p/index.m3u8');
  });
});
