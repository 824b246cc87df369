import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { applyConfig, INGEST_CONFIG_SCHEMA, loadConfigFile, validateConfig } from '../../src/config/config-file.js';
import { environmentNotes } from '../../src/config/env-notes.js';
import { numberIn } from '../../src/commands/option-parsers.js';
import { UsageError } from '../../src/errors.js';
import type { EventRecord } from '../../src/events.js';
import { runCli, tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function dirWithConfig(config: unknown, name = 'livepipe.config.json'): Promise<string> {
  const tmp = await tempDir('livepipe-config-');
  cleanups.push(tmp.cleanup);
  await writeFile(path.join(tmp.dir, name), typeof config === 'string' ? config : JSON.stringify(config));
  return tmp.dir;
}

function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('config file validation', () => {
  it('accepts every ingest flag with its JSON type', () => {
    expect(validateConfig({ input: 'testsrc', preset: '720p', segment: 2, loop: false, realtime: false, header: ['A: b'], s3Endpoint: 'http://x' }, 'f.json'))
      .toEqual({ input: 'testsrc', preset: '720p', segment: 2, loop: false, realtime: false, header: ['A: b'], s3Endpoint: 'http://x' });
  });

  it('rejects unknown keys, with a hint for kebab-case', () => {
    expect(() => validateConfig({ bogus: 1 }, 'f.json')).toThrow(/^f\.json: unknown key "bogus" \(keys are ingest flags in camelCase: input, preset/);
    expect(() => validateConfig({ 's3-endpoint': 'x' }, 'f.json')).toThrow('f.json: unknown key "s3-endpoint" (did you mean "s3Endpoint"?)');
    expect(() => validateConfig({ noRealtime: true }, 'f.json')).toThrow('(use "realtime": false)');
  });

  it('rejects wrong types', () => {
    expect(() => validateConfig({ segment: '2' }, 'f.json')).toThrow('f.json: "segment" must be a number, got the string "2"');
    expect(() => validateConfig({ loop: 'yes' }, 'f.json')).toThrow('"loop" must be true or false');
    expect(() => validateConfig({ header: 'A: b' }, 'f.json')).toThrow('"header" must be a list of strings');
    expect(() => validateConfig({ input: null }, 'f.json')).toThrow('"input" must be a string, got null');
    expect(() => validateConfig([1], 'f.json')).toThrow(/must hold a JSON object/);
    expect(() => validateConfig({ input: 1 }, 'f.json')).toThrow(UsageError);
  });

  it('loads ./livepipe.config.json or --config, and explains bad files in one line', async () => {
    const dir = await dirWithConfig({ preset: '480p' });
    expect(await loadConfigFile(undefined, dir)).toEqual({ file: 'livepipe.config.json', values: { preset: '480p' } });
    expect(await loadConfigFile(undefined, path.join(dir, '..', 'nonexistent-folder'))).toBeUndefined();
    await writeFile(path.join(dir, 'other.json'), '{"window": 3}');
    expect(await loadConfigFile('other.json', dir)).toEqual({ file: 'other.json', values: { window: 3 } });
    await expect(loadConfigFile('missing.json', dir)).rejects.toThrow('config file not found: missing.json');
    await writeFile(path.join(dir, 'broken.json'), '{"input": ');
    await expect(loadConfigFile('broken.json', dir)).rejects.toThrow(/^broken\.json is not valid JSON: /);
  });

  it('lets command-line flags win and runs each value through the flag\'s own parser', async () => {
    const cmd = new Command('ingest')
      .exitOverride()
      .option('--preset <p>', 'preset', '1080p')
      .option('--segment <s>', 'segment', numberIn('--segment', 0.5, 30), 2)
      .option('--no-realtime', 'fast')
      .option('--header <h>', 'header', (v: string, prev: string[] = []) => [...prev, v]);
    cmd.parse(['--preset', '360p'], { from: 'user' });
    applyConfig(cmd, { file: 'c.json', values: { preset: '720p', segment: 4, realtime: false, header: ['A: 1', 'B: 2'] } });
    expect(cmd.opts()).toEqual({ preset: '360p', segment: 4, realtime: false, header: ['A: 1', 'B: 2'] });
    expect(cmd.getOptionValueSource('preset')).toBe('cli');
    expect(cmd.getOptionValueSource('segment')).toBe('config');
    expect(() => applyConfig(cmd, { file: 'c.json', values: { segment: 100 } })).toThrow('c.json: "segment": --segment must be a number from 0.5 to 30, got "100"');
  });

  it('covers exactly the flags of `livepipe ingest --help`', async () => {
    const help = await runCli(['ingest', '--help']);
    const flags = [...help.stdout.matchAll(/^ {2}--(no-)?([a-z0-9-]+)/gm)]
      .map((m) => m[2]!.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
      .filter((f) => f !== 'help' && f !== 'config');
    expect(flags.sort()).toEqual(Object.keys(INGEST_CONFIG_SCHEMA).sort());
  });
});

describe('environment variables never override silently', () => {
  it('notes a token or endpoint that is not used', () => {
    expect(environmentNotes({ origin: 'https://o/live/', header: ['Authorization: Bearer x'] }, { LIVEPIPE_ORIGIN_TOKEN: 't' }))
      .toEqual(['note: LIVEPIPE_ORIGIN_TOKEN is not used: an Authorization header is given (--header or config file)']);
    expect(environmentNotes({ origin: 'https://o/live/', header: [] }, { LIVEPIPE_ORIGIN_TOKEN: 't' })).toEqual([]);
    expect(environmentNotes({ origin: 's3://b/p', s3Endpoint: 'http://a' }, { AWS_ENDPOINT_URL: 'http://b' }))
      .toEqual(['note: AWS_ENDPOINT_URL (http://b) is not used: --s3-endpoint http://a is given']);
    expect(environmentNotes({ origin: 's3://b/p' }, { AWS_ENDPOINT_URL: 'http://b' })).toEqual([]);
  });
});

describe('livepipe ingest with a config file', () => {
  it('takes every setting from ./livepipe.config.json, and a command-line flag wins', async () => {
    const out = await tempDir('livepipe-config-origin-');
    cleanups.push(out.cleanup);
    const origin = pathToFileURL(path.join(out.dir, 'origin')).href;
    const dir = await dirWithConfig({ input: 'testsrc:640x360', preset: '360p', origin, duration: 4, realtime: false, json: true, name: 'fromconfig', segment: 1 });
    const r = await runCli(['ingest', '--duration', '2'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord);
    const started = events.find((e) => e.event === 'started')!;
    expect(started).toMatchObject({ stream: 'fromconfig', origin, renditions: ['360p'], durationSeconds: 2 });
    const ffmpeg = events.find((e) => e.event === 'ffmpeg_started');
    if (ffmpeg?.event !== 'ffmpeg_started') throw new Error('no ffmpeg_started event');
    const argv = ffmpeg.argv;
    expect(argv[argv.indexOf('-t') + 1]).toBe('2'); // --duration 2 beat the config's 4
    expect(argv[argv.indexOf('-hls_time') + 1]).toBe('1'); // from the config
    expect(argv).not.toContain('-re'); // "realtime": false
    expect(events.at(-1)).toMatchObject({ event: 'finished', exitCode: 0 });
  });

  it('reads --config <file> instead', async () => {
    const dir = await dirWithConfig({ input: 'testsrc:640x360', preset: 'nope' }, 'custom.json');
    const r = await runCli(['ingest', '--config', 'custom.json'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(oneErrorLine(r.stderr)).toMatch(/^livepipe: error: .*nope/);
  });

  it('exits 2 with one line for an unknown key, a wrong type, a bad value or a missing file', async () => {
    const unknown = await runCli(['ingest'], { cwd: await dirWithConfig({ input: 'testsrc', resolution: '720p' }) });
    expect(unknown.exitCode).toBe(2);
    expect(oneErrorLine(unknown.stderr)).toMatch(/^livepipe: error: livepipe\.config\.json: unknown key "resolution"/);

    const wrongType = await runCli(['ingest'], { cwd: await dirWithConfig({ input: 'testsrc', window: '6' }) });
    expect(wrongType.exitCode).toBe(2);
    expect(oneErrorLine(wrongType.stderr)).toBe('livepipe: error: livepipe.config.json: "window" must be a number, got the string "6"');

    const badValue = await runCli(['ingest'], { cwd: await dirWithConfig({ input: 'testsrc', format: 'mkv' }) });
    expect(badValue.exitCode).toBe(2);
    expect(oneErrorLine(badValue.stderr)).toBe('livepipe: error: livepipe.config.json: "format": --format must be one of ts, fmp4, got "mkv"');

    const notJson = await runCli(['ingest'], { cwd: await dirWithConfig('{ input: testsrc }') });
    expect(notJson.exitCode).toBe(2);
    expect(oneErrorLine(notJson.stderr)).toMatch(/^livepipe: error: livepipe\.config\.json is not valid JSON: /);

    const missing = await runCli(['ingest', '--config', '/nonexistent/livepipe.json', '--input', 'testsrc']);
    expect(missing.exitCode).toBe(2);
    expect(oneErrorLine(missing.stderr)).toBe('livepipe: error: config file not found: /nonexistent/livepipe.json');
  });
});
