/**
 * livepipe's own modules, loaded from the build (dist/, what `livepipe` runs) and typed from src/.
 * The specifiers are computed, so the type checker does not look for declarations of dist/ files.
 */
import type * as HlsArgv from '../src/ffmpeg/hls-argv.js';
import type * as InputArgs from '../src/source/input-args.js';
import type * as InputSpec from '../src/source/input-spec.js';
import type * as Probe from '../src/source/probe.js';
import type * as PresetFile from '../src/ladder/preset-file.js';
import type * as FitLadder from '../src/ladder/fit-ladder.js';

const load = <T>(rel: string): Promise<T> => import(new URL(`../dist/${rel}`, import.meta.url).href) as Promise<T>;

export interface LivepipeModules {
  buildHlsArgv: typeof HlsArgv.buildHlsArgv;
  buildInputArgs: typeof InputArgs.buildInputArgs;
  parseInput: typeof InputSpec.parseInput;
  probeSource: typeof Probe.probeSource;
  loadPreset: typeof PresetFile.loadPreset;
  fitLadder: typeof FitLadder.fitLadder;
}

export async function loadLivepipe(): Promise<LivepipeModules> {
  const [hls, input, spec, probe, preset, fit] = await Promise.all([
    load<typeof HlsArgv>('ffmpeg/hls-argv.js'),
    load<typeof InputArgs>('source/input-args.js'),
    load<typeof InputSpec>('source/input-spec.js'),
    load<typeof Probe>('source/probe.js'),
    load<typeof PresetFile>('ladder/preset-file.js'),
    load<typeof FitLadder>('ladder/fit-ladder.js'),
  ]);
  return {
    buildHlsArgv: hls.buildHlsArgv,
    buildInputArgs: input.buildInputArgs,
    parseInput: spec.parseInput,
    probeSource: probe.probeSource,
    loadPreset: preset.loadPreset,
    fitLadder: fit.fitLadder,
  };
}
