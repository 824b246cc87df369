/** What livepipe knows about a rung that ffmpeg's master playlist leaves out. */
export interface VariantInfo {
  /** Folder of the rung: its playlist URI is `<name>/index.m3u8`. */
  name: string;
  peakBandwidth: number;
  averageBandwidth: number;
  frameRate: number;
}

/**
 * Completes ffmpeg's master playlist: ffmpeg knows the real CODECS (it reads the encoded SPS) and
 * RESOLUTION; livepipe adds AVERAGE-BANDWIDTH, FRAME-RATE and the VBV peak as BANDWIDTH.
 */
export function completeMaster(ffmpegMaster: string, variants: readonly VariantInfo[]): string {
  const lines = ffmpegMaster.split(/\r?\n/);
  const out: string[] = ['#EXTM3U'];
  const version = lines.find((l) => l.startsWith('#EXT-X-VERSION:'));
  if (version) out.push(version);
  out.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#EXT-X-MEDIA:')) out.push(line);
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.startsWith('#'));
    if (!uri) continue;
    const variant = variants.find((v) => uri.trim() === `${v.name}/index.m3u8`);
    const attrs = parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length));
    if (variant) {
      attrs.set('BANDWIDTH', String(variant.peakBandwidth));
      attrs.set('AVERAGE-BANDWIDTH', String(variant.averageBandwidth));
      attrs.set('FRAME-RATE', variant.frameRate.toFixed(3));
    }
    out.push(`#EXT-X-STREAM-INF:${formatAttributes(attrs)}`, uri.trim());
  }
  return `${out.join('\n')}\n`;
}

/** Attribute lists per RFC 8216 4.2: NAME=value pairs, quoted strings may hold commas. */
export function parseAttributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (const m of text.matchAll(re)) attrs.set(m[1]!, m[2]!);
  return attrs;
}

function formatAttributes(attrs: Map<string, string>): string {
  const order = ['BANDWIDTH', 'AVERAGE-BANDWIDTH', 'RESOLUTION', 'FRAME-RATE', 'CODECS'];
  const keys = [...order.filter((k) => attrs.has(k)), ...[...attrs.keys()].filter((k) => !order.includes(k))];
  return keys.map((k) => `${k}=${attrs.get(k)}`).join(',');
}
