import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { listPresetNames, loadPreset, parsePreset } from '../../src/ladder/preset-file.js';
import { UsageError } from '../../src/errors.js';
import { FIXTURES } from '../helpers/cli.js';

describe('presets', () => {
  it('ships 1080p, 720p, 480p and 360p, each starting at its name', async () => {
    const names = await listPresetNames();
    expect(names).toEqual(expect.arrayContaining(['1080p', '720p', '480p', '360p']));
    const p1080 = await loadPreset('1080p');
    expect(p1080.renditions.map((r) => r.name)).toEqual(['1080p', '720p', '480p', '360p']);
    for (const name of ['720p', '480p', '360p']) {
      const p = await loadPreset(name);
      expect(p.renditions[0]!.name).toBe(name);
      expect(p.reference).not.toBe('');
    }
  });

  it('parses bitrates into bits per second with maxrate about 1.07x', async () => {
    const r = (await loadPreset('720p')).renditions[0]!;
    expect(r.videoBitrate).toBe(2_800_000);
    expect(r.maxrate / r.videoBitrate).toBeCloseTo(1.07, 2);
    expect(r.bufsize).toBeGreaterThan(r.videoBitrate);
    expect(r.audioBitrate).toBe(128_000);
  });

  it('loads a preset from a path', async () => {
    const p = await loadPreset(path.join(FIXTURES, 'tiny-preset.json'));
    expect(p.name).toBe('tiny');
    expect(p.encoder.x264Preset).toBe('ultrafast');
  });

  it('rejects an unknown name with the known ones listed', async () => {
    await expect(loadPreset('4k-hdr')).rejects.toThrow(/unknown preset "4k-hdr".*1080p/);
  });

  it('rejects a broken preset file with a clear error', async () => {
    const err = await loadPreset(path.join(FIXTURES, 'broken-preset.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/renditions\[0\]\.width/);
  });

  it.each([
    [{}, /renditions/],
    [{ renditions: [] }, /renditions/],
    [{ renditions: [{ width: 640, height: 360, videoBitrate: 'fast' }] }, /videoBitrate/],
    [{ renditions: [{ width: 640, height: 360, videoBitrate: '800k', profile: 'extreme' }] }, /profile/],
    [{ renditions: [{ width: 640, height: 360, videoBitrate: '800k', name: '../x' }] }, /name/],
    [{ renditions: [{ width: 640, height: 360, videoBitrate: '800k' }, { width: 320, height: 180, videoBitrate: '300k', name: '360p' }] }, /twice/],
    [{ encoder: { x264Preset: 'warp' }, renditions: [{ width: 640, height: 360, videoBitrate: '800k' }] }, /x264Preset/],
  ])('validates %j', (raw, message) => {
    expect(() => parsePreset(raw, 'x', 'x.json')).toThrow(message);
  });
});
