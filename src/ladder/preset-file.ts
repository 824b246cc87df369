import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { parseBitrate } from './bitrate.js';
import type { H264Profile, Preset, Rendition } from './rendition.js';

const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));
const PROFILES: readonly H264Profile[] = ['baseline', 'main', 'high'];

export function presetsDir(): string {
  return PRESETS_DIR;
}

export async function listPresetNames(): Promise<string[]> {
  const files = await readdir(PRESETS_DIR);
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort((a, b) => parseInt(b, 10) - parseInt(a, 10) || a.localeCompare(b));
}

/** Resolves `--preset`: a built-in name, or a path to a JSON file. */
export async function loadPreset(nameOrPath: string): Promise<Preset> {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json');
  const file = looksLikePath ? path.resolve(nameOrPath) : path.join(PRESETS_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) {
    if (looksLikePath) throw new UsageError(`preset file not found: ${nameOrPath}`);
    const known = await listPresetNames();
    throw new UsageError(`unknown preset "${nameOrPath}" (known: ${known.join(', ')}; or pass a path to a preset .json file)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`preset ${nameOrPath} is not valid JSON: ${(e as Error).message}`);
  }
  return parsePreset(raw, looksLikePath ? path.basename(file, '.json') : nameOrPath, nameOrPath);
}

/** Validates a preset once, at the edge, into typed values. */
export function parsePreset(raw: unknown, fallbackName: string, source: string): Preset {
  const where = `preset ${source}`;
  if (!isObject(raw)) throw new UsageError(`${where}: expected a JSON object`);
  const list = raw['renditions'];
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${where}: "renditions" must be a non-empty array`);
  const renditions = list.map((r, i) => parseRendition(r, `${where}: renditions[${i}]`));
  const names = new Set<string>();
  for (const r of renditions) {
    if (names.has(r.name)) throw new UsageError(`${where}: rendition name "${r.name}" appears twice`);
    names.add(r.name);
  }
  renditions.sort((a, b) => b.height - a.height || b.videoBitrate - a.videoBitrate);
  const encoder = isObject(raw['encoder']) ? raw['encoder'] : {};
  const x264Preset = optionalString(encoder['x264Preset'], `${where}: encoder.x264Preset`) ?? 'veryfast';
  if (!X264_PRESETS.includes(x264Preset)) {
    throw new UsageError(`${where}: encoder.x264Preset must be one of ${X264_PRESETS.join(', ')}`);
  }
  const tune = optionalString(encoder['tune'], `${where}: encoder.tune`);
  return {
    name: optionalString(raw['name'], `${where}: name`) ?? fallbackName,
    description: optionalString(raw['description'], `${where}: description`) ?? '',
    reference: optionalString(raw['reference'], `${where}: reference`) ?? '',
    encoder: tune ? { x264Preset, tune } : { x264Preset },
    renditions,
  };
}

const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];

function parseRendition(raw: unknown, where: string): Rendition {
  if (!isObject(raw)) throw new UsageError(`${where}: expected an object`);
  const width = positiveInt(raw['width'], `${where}.width`);
  const height = positiveInt(raw['height'], `${where}.height`);
  const videoBitrate = parseBitrate(raw['videoBitrate'], `${where}.videoBitrate`);
  const profile = (optionalString(raw['profile'], `${where}.profile`) ?? 'high') as H264Profile;
  if (!PROFILES.includes(profile)) throw new UsageError(`${where}.profile must be one of ${PROFILES.join(', ')}`);
  const name = optionalString(raw['name'], `${where}.name`) ?? `${height}p`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`${where}.name must use only letters, digits, "_" and "-"`);
  return {
    name,
    width,
    height,
    videoBitrate,
    maxrate: raw['maxrate'] === undefined ? Math.round(videoBitrate * 1.07) : parseBitrate(raw['maxrate'], `${where}.maxrate`),
    bufsize: raw['bufsize'] === undefined ? Math.round(videoBitrate * 1.5) : parseBitrate(raw['bufsize'], `${where}.bufsize`),
    audioBitrate: raw['audioBitrate'] === undefined ? 128_000 : parseBitrate(raw['audioBitrate'], `${where}.audioBitrate`),
    profile,
    level: optionalString(raw['level'], `${where}.level`) ?? '4.0',
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 8192) {
    throw new UsageError(`${where} must be a positive whole number of pixels, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalString(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`${where} must be a string`);
  return v;
}
