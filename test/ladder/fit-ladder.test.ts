import { describe, expect, it } from 'vitest';
import { fitLadder } from '../../src/ladder/fit-ladder.js';
import { loadPreset } from '../../src/ladder/preset-file.js';

const preset = await loadPreset('1080p');

describe('fitLadder', () => {
  it('keeps every rung for a 1080p source', () => {
    const l = fitLadder(preset, { width: 1920, height: 1080, fps: 30 });
    expect(l.renditions.map((r) => `${r.width}x${r.height}`)).toEqual(['1920x1080', '1280x720', '854x480', '640x360']);
    expect(l.fps).toBe(30);
  });

  it('drops rungs taller than the source (no upscaling)', () => {
    const l = fitLadder(preset, { width: 1280, height: 720, fps: 30 });
    expect(l.renditions.map((r) => r.name)).toEqual(['720p', '480p', '360p']);
  });

  it('keeps the aspect ratio and even dimensions for a 4:3 source', () => {
    const l = fitLadder(preset, { width: 1440, height: 1080, fps: 25 });
    for (const r of l.renditions) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      expect(Math.abs(r.width / r.height - 4 / 3)).toBeLessThan(0.02);
    }
    expect(l.renditions[0]).toMatchObject({ width: 1440, height: 1080 });
    expect(l.fps).toBe(25);
  });

  it('fits odd source sizes to even dimensions', () => {
    const l = fitLadder(preset, { width: 1919, height: 1079, fps: 30 });
    for (const r of l.renditions) expect([r.width % 2, r.height % 2]).toEqual([0, 0]);
    expect(l.renditions.every((r) => r.width <= 1919 && r.height <= 1079)).toBe(true);
  });

  it('gives a source smaller than every rung one rung at its own size', () => {
    const l = fitLadder(preset, { width: 322, height: 242, fps: 25 });
    expect(l.renditions).toHaveLength(1);
    expect(l.renditions[0]).toMatchObject({ width: 322, height: 242, name: '242p' });
    expect(l.renditions[0]!.videoBitrate).toBeLessThan(800_000);
  });

  it('caps the frame rate at 60 and keeps fractional rates', () => {
    expect(fitLadder(preset, { width: 1920, height: 1080, fps: 120 }).fps).toBe(60);
    expect(fitLadder(preset, { width: 1920, height: 1080, fps: 30000 / 1001 }).fps).toBeCloseTo(29.97, 2);
  });

  it('fits a portrait source inside each rung box', () => {
    const l = fitLadder(preset, { width: 1080, height: 1920, fps: 30 });
    for (const r of l.renditions) expect(r.height).toBeGreaterThan(r.width);
    expect(l.renditions[0]).toMatchObject({ width: 608, height: 1080 });
  });

  it('uses the preset as is without a known source', () => {
    expect(fitLadder(preset, undefined).renditions).toHaveLength(4);
  });
});

describe('levels', () => {
  it('raises the H.264 level for 50/60 fps sources', () => {
    const l30 = fitLadder(preset, { width: 1920, height: 1080, fps: 30 });
    const l60 = fitLadder(preset, { width: 1920, height: 1080, fps: 60 });
    expect(l30.renditions.map((r) => r.level)).toEqual(['4.0', '3.1', '3.1', '3.0']);
    expect(l60.renditions.map((r) => r.level)).toEqual(['4.2', '3.2', '3.2', '3.1']);
  });
});
