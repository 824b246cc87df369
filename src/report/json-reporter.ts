import type { EventBus } from '../events.js';

/**
 * `--json`: one JSON object per line on stdout for every event (see "JSON events" in README.md).
 * A reader that goes away (`| head`) must not kill the stream: EPIPE on stdout is ignored.
 */
export function attachJsonReporter(bus: EventBus, write?: (line: string) => void): () => void {
  let closed = false;
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
  };
  if (!write) process.stdout.on('error', onError);
  const out = write ?? ((l: string) => {
    if (!closed) process.stdout.write(l);
  });
  const off = bus.onEvent((record) => out(`${JSON.stringify(record)}\n`));
  return () => {
    off();
    if (!write) process.stdout.off('error', onError);
  };
}
