import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { UsageError } from '../errors.js';

/**
 * `livepipe.config.json` (in the working folder) or `--config <file>`: every `ingest` flag as a key,
 * named like the flag in camelCase (`--s3-endpoint` → "s3Endpoint", `--no-realtime` → "realtime": false).
 *
 * Precedence: a flag on the command line > the config file > the built-in default. Environment
 * variables (LIVEPIPE_ORIGIN_TOKEN, AWS_*, MOMENTO_*) only supply secrets and endpoints that no flag
 * or config key gave; they never replace a flag or a config value.
 */

export const CONFIG_FILE_NAME = 'livepipe.config.json';

export type ConfigType = 'string' | 'number' | 'boolean' | 'string[]';

/** The JSON type of every ingest flag's key. A test checks this against `livepipe ingest --help`. */
export const INGEST_CONFIG_SCHEMA: Readonly<Record<string, ConfigType>> = {
  input: 'string',
  preset: 'string',
  origin: 'string',
  out: 'string',
  segment: 'number',
  window: 'number',
  format: 'string',
  duration: 'number',
  loop: 'boolean',
  realtime: 'boolean',
  name: 'string',
  json: 'boolean',
  port: 'number',
  header: 'string[]',
  s3Endpoint: 'string',
  keep: 'boolean',
  verbose: 'boolean',
  momentoWriteBps: 'number',
  momentoWriteOps: 'number',
  maxRestarts: 'number',
  metricsPort: 'number',
};

export type ConfigValue = string | number | boolean | string[];

export interface LoadedConfig {
  /** As the user would recognise it: the path given, or livepipe.config.json. */
  file: string;
  values: Record<string, ConfigValue>;
}

/**
 * Reads `explicit` (must exist) or `livepipe.config.json` in `cwd` (optional). Undefined when there
 * is no config file. Throws UsageError with one line for anything wrong with it.
 */
export async function loadConfigFile(explicit: string | undefined, cwd = process.cwd()): Promise<LoadedConfig | undefined> {
  let file: string;
  let shown: string;
  if (explicit !== undefined) {
    if (explicit.trim() === '') throw new UsageError('--config needs a file name');
    file = path.resolve(cwd, explicit);
    shown = explicit;
    if (!existsSync(file)) throw new UsageError(`config file not found: ${explicit}`);
  } else {
    file = path.join(cwd, CONFIG_FILE_NAME);
    shown = CONFIG_FILE_NAME;
    if (!existsSync(file)) return undefined;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config file ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${shown} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return { file: shown, values: validateConfig(raw, shown) };
}

/** Checks keys and JSON types against INGEST_CONFIG_SCHEMA. */
export function validateConfig(raw: unknown, file: string, schema: Readonly<Record<string, ConfigType>> = INGEST_CONFIG_SCHEMA): Record<string, ConfigValue> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${file} must hold a JSON object such as {"input": "testsrc", "preset": "720p"}`);
  }
  const out: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const type = schema[key];
    if (!type) throw new UsageError(`${file}: unknown key "${key}"${suggest(key, schema)}`);
    if (!hasType(value, type)) {
      throw new UsageError(`${file}: "${key}" must be ${describeType(type)}, got ${describeValue(value)}`);
    }
    out[key] = value as ConfigValue;
  }
  return out;
}

/**
 * Puts config values into the parsed options of `cmd` wherever the command line did not set them,
 * running each through the flag's own parser (so a range error reads the same as for the flag).
 */
export function applyConfig(cmd: Command, config: LoadedConfig): void {
  for (const [key, value] of Object.entries(config.values)) {
    const option = cmd.options.find((o) => o.attributeName() === key);
    if (!option) throw new UsageError(`${config.file}: "${key}" is not an option of livepipe ${cmd.name()}`);
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    cmd.setOptionValueWithSource(key, parsedValue(option, value, config.file, key), 'config');
  }
}

function parsedValue(option: Option, value: ConfigValue, file: string, key: string): unknown {
  if (typeof value === 'boolean') return value;
  const parse = option.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
  try {
    if (Array.isArray(value)) {
      let acc: unknown = undefined;
      for (const item of value) acc = parse ? parse(item, acc) : [...((acc as string[] | undefined) ?? []), item];
      return acc ?? [];
    }
    return parse ? parse(String(value), undefined) : value;
  } catch (e) {
    throw new UsageError(`${file}: "${key}": ${(e as Error).message}`);
  }
}

function hasType(value: unknown, type: ConfigType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

function describeType(type: ConfigType): string {
  return type === 'string[]' ? 'a list of strings' : type === 'number' ? 'a number' : type === 'boolean' ? 'true or false' : 'a string';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function suggest(key: string, schema: Readonly<Record<string, ConfigType>>): string {
  const camel = key.replace(/^-+/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && schema[camel]) return ` (did you mean "${camel}"?)`;
  if (key === 'noRealtime' || key === 'no-realtime') return ' (use "realtime": false)';
  return ` (keys are ingest flags in camelCase: ${Object.keys(schema).join(', ')})`;
}
