import type { EventBus } from '../events.js';

/** `--json`: one JSON object per line on stdout for every event. */
export function attachJsonReporter(bus: EventBus, write: (line: string) => void = (l) => process.stdout.write(l)): () => void {
  return bus.onEvent((record) => write(`${JSON.stringify(record)}\n`));
}
