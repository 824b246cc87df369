import { formatKbps } from '../ladder/bitrate.js';
import { listPresetNames, loadPreset } from '../ladder/preset-file.js';
import { totalBandwidth } from '../ladder/rendition.js';

export async function runPresets(json: boolean, out: (text: string) => void): Promise<void> {
  const presets = await Promise.all((await listPresetNames()).map((n) => loadPreset(n)));
  if (json) {
    out(JSON.stringify(presets.map((p) => ({ name: p.name, description: p.description, renditions: p.renditions.map((r) => r.name) }))));
    return;
  }
  const width = Math.max(...presets.map((p) => p.name.length));
  for (const p of presets) {
    const rungs = p.renditions.map((r) => r.name).join(', ');
    out(`${p.name.padEnd(width)}  ${rungs}  (${formatKbps(totalBandwidth(p.renditions))} total, x264 ${p.encoder.x264Preset})`);
  }
}
