import { Command, CommanderError, Option } from 'commander';
import { exitCodeOf, oneLine } from './errors.js';
import { runIngest, type IngestFlags } from './commands/ingest.js';
import { runLadder } from './commands/ladder.js';
import { runPresets } from './commands/presets.js';
import { runServe } from './commands/serve.js';
import { runDoctor } from './commands/doctor.js';
import { runCheck } from './commands/check.js';
import { applyConfig, CONFIG_FILE_NAME, loadConfigFile } from './config/config-file.js';
import { registerProcessMetrics } from './metrics/process-metrics.js';
import { Registry } from './metrics/registry.js';
import { startMetricsServer } from './metrics/server.js';
import { collect, numberIn, oneOf, sourceSize, streamName } from './commands/option-parsers.js';

const print = (text: string) => process.stdout.write(`${text}\n`);
const fail = (line: string) => process.stderr.write(`livepipe: error: ${line}\n`);

function buildProgram(): Command {
  const program = new Command('livepipe')
    .description('Live video → one-process FFmpeg ABR ladder → HLS → any origin')
    .version('0.1.0')
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(`livepipe: ${str.trim()}\n`) })
    .exitOverride();

  program
    .command('ingest')
    .description('capture, transcode an ABR ladder, segment to HLS and publish to an origin')
    .option('--input <source>', 'camera (/dev/video0, avfoundation:0, dshow:video=…), file, URL, testsrc[:WxH[@fps]] or -')
    .option('--preset <name|file.json>', 'ladder preset', '1080p')
    .option('--origin <url>', 'http(s)://…, s3://bucket/prefix, momento://store/prefix or file:///dir (default: built-in origin)')
    .option('--out <dir>', 'folder for ffmpeg output (default: a temporary folder)')
    .option('--segment <seconds>', 'segment length', numberIn('--segment', 0.5, 30), 2)
    .option('--window <segments>', 'segments in the live playlist', numberIn('--window', 2, 1000, true), 6)
    .addOption(new Option('--format <ts|fmp4>', 'segment container').argParser(oneOf('--format', ['ts', 'fmp4'] as const)).default('ts'))
    .option('--duration <seconds>', 'stop after this much media', numberIn('--duration', 0.1, 1e7))
    .option('--loop', 'loop a file input forever')
    .option('--no-realtime', 'read a file or testsrc as fast as possible instead of at its native rate')
    .option('--name <stream>', 'stream name (path on the built-in origin)', streamName, 'live')
    .option('--json', 'one JSON object per event on stdout')
    .option('--port <n>', 'port of the built-in origin', numberIn('--port', 1, 65535, true), 8080)
    .option('--header <"Name: value">', 'extra header for http(s) origins (repeatable)', collect)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (path-style)')
    .option('--keep', 'keep every segment (DVR/VOD): EVENT playlist, no deletes')
    .option('--verbose', 'print the ffmpeg command and every upload')
    .option('--momento-write-bps <n>', 'Momento write budget in bytes/s', numberIn('--momento-write-bps', 1, 1e12), 1_048_576)
    .option('--momento-write-ops <n>', 'Momento write budget in writes/s', numberIn('--momento-write-ops', 1, 1e9), 100)
    .option('--max-restarts <n>', 'ffmpeg restarts tolerated within 2 minutes', numberIn('--max-restarts', 0, 1000, true), 5)
    .option('--metrics-port <n>', 'serve Prometheus metrics at http://127.0.0.1:<n>/metrics (0: any free port)', numberIn('--metrics-port', 0, 65535, true))
    .option('--config <file>', `config file with any of these flags as camelCase keys (default: ./${CONFIG_FILE_NAME} if present); flags given here win`)
    .action(async (flags: IngestFlags, cmd: Command) => {
      const config = await loadConfigFile(flags.config);
      if (config) applyConfig(cmd, config);
      process.exitCode = await runIngest(cmd.opts<IngestFlags>(), fail);
    });

  program
    .command('ladder')
    .description('print the rungs of a preset')
    .requiredOption('--preset <name|file.json>', 'preset name or file')
    .option('--source <WxH[@fps]>', 'fit the ladder to a source of this size', sourceSize)
    .option('--json', 'print JSON')
    .action(async (o: { preset: string; source?: ReturnType<typeof sourceSize>; json?: boolean }) => {
      await runLadder({ preset: o.preset, source: o.source, json: Boolean(o.json) }, print);
    });

  program
    .command('presets')
    .description('list the built-in presets')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => runPresets(Boolean(o.json), print));

  program
    .command('serve')
    .description('run the built-in origin on its own (PUT/DELETE/GET/HEAD, player page at /)')
    .option('--port <n>', 'port', numberIn('--port', 0, 65535, true), 8080)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--dir <path>', 'keep objects in this folder instead of memory')
    .option('--token <t>', 'bearer token required for writes (or LIVEPIPE_ORIGIN_TOKEN)')
    .option('--metrics-port <n>', 'serve Prometheus metrics at http://127.0.0.1:<n>/metrics (0: any free port)', numberIn('--metrics-port', 0, 65535, true))
    .action(async (o: { port: number; host: string; dir?: string; token?: string; metricsPort?: number }) => {
      const token = o.token ?? process.env['LIVEPIPE_ORIGIN_TOKEN'];
      const log = (l: string) => process.stderr.write(`${l}\n`);
      let metrics: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
      if (o.metricsPort !== undefined) {
        const registry = new Registry();
        registerProcessMetrics(registry);
        metrics = await startMetricsServer(o.metricsPort, registry);
        log(`metrics: ${metrics.url}`);
      }
      try {
        await runServe({ port: o.port, host: o.host, ...(o.dir ? { dir: o.dir } : {}), ...(token ? { token } : {}) }, log);
      } finally {
        await metrics?.close();
      }
    });

  program
    .command('doctor')
    .description('check that this machine can run livepipe: ffmpeg, encoders, cameras, and optionally an origin')
    .option('--origin <url>', 'also check that this origin accepts a write and a delete')
    .action(async (o: { origin?: string }) => {
      process.exitCode = await runDoctor({ origin: o.origin }, print);
    });

  program
    .command('check')
    .description('validate a published HLS stream as a CDN and a player see it')
    .argument('<playlist>', 'master.m3u8 URL (http://, https://, file://) or path')
    .action(async (target: string) => {
      process.exitCode = await runCheck({ target }, print);
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; commander already printed its one-line error otherwise.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    fail(oneLine(e));
    process.exitCode = exitCodeOf(e);
  }
}

await main(process.argv);
// Keep-alive sockets or a watcher left by a failed stage must not keep a finished command alive.
process.exit();
