import { fitLadder } from '../ladder/fit-ladder.js';
import { formatLadderTable, ladderToJson } from '../ladder/ladder-table.js';
import { loadPreset } from '../ladder/preset-file.js';

export interface LadderCommandOptions {
  preset: string;
  source?: { width: number; height: number; fps: number | undefined } | undefined;
  json: boolean;
}

export async function runLadder(opts: LadderCommandOptions, out: (text: string) => void): Promise<void> {
  const preset = await loadPreset(opts.preset);
  const ladder = fitLadder(preset, opts.source ? { ...opts.source, fps: opts.source.fps ?? 30 } : undefined);
  out(opts.json ? JSON.stringify(ladderToJson(ladder)) : formatLadderTable(ladder));
}
