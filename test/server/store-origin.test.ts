import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { StoreOrigin } from '../../src/origins/memory-origin.js';
import { metaForKey } from '../../src/origins/object-meta.js';
import { OriginError } from '../../src/origins/origin.js';
import { MemoryObjectStore } from '../../src/server/object-store.js';
import { OriginServer } from '../../src/server/origin-server.js';

const servers: OriginServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('StoreOrigin', () => {
  it('writes into the store under the stream name, playable through the server', async () => {
    const store = new MemoryObjectStore();
    const server = new OriginServer({ store, host: '127.0.0.1', port: 0 });
    servers.push(server);
    const { url } = await server.start();
    const origin = new StoreOrigin({ store, name: 'live', serverUrl: `${url}/` });
    expect(origin.description).toBe(`built-in origin ${url}/live/`);
    expect(origin.playbackUrl).toBe(`${url}/live/master.m3u8`);

    await origin.put('720p/seg_1.ts', Buffer.from('ts'), metaForKey('720p/seg_1.ts'));
    await origin.put('master.m3u8', Buffer.from('#EXTM3U\n'), metaForKey('master.m3u8'));
    expect(await store.keys()).toEqual(['live/720p/seg_1.ts', 'live/master.m3u8']);
    const res = await fetch(origin.playbackUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');

    await origin.delete('720p/seg_1.ts');
    await origin.delete('720p/seg_1.ts'); // already gone: still fine
    expect(await store.keys()).toEqual(['live/master.m3u8']);
    await origin.close();
  });

  it('refuses unsafe keys and stream names', async () => {
    const origin = new StoreOrigin({ store: new MemoryObjectStore(), name: 'live', serverUrl: 'http://127.0.0.1:8080' });
    await expect(origin.put('../x', Buffer.from('x'), metaForKey('x'))).rejects.toBeInstanceOf(OriginError);
    expect(() => new StoreOrigin({ store: new MemoryObjectStore(), name: '../up', serverUrl: 'http://127.0.0.1:8080' })).toThrow(UsageError);
  });
});
