/**
 * ffmpeg writes #EXT-X-DISCONTINUITY after a restart but never EXT-X-DISCONTINUITY-SEQUENCE; once the
 * tagged segment leaves the window, players must still number discontinuities the same way
 * (RFC 8216 6.2.2). This remembers where the discontinuities were and adds the tag.
 */
export class DiscontinuityTracker {
  /** Media sequence numbers of segments that follow an #EXT-X-DISCONTINUITY. */
  private readonly sequences = new Set<number>();

  /** Records the discontinuities a media playlist shows. */
  note(text: string): void {
    let sequence = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)/m.exec(text)?.[1] ?? 0);
    let discontinuity = false;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
      else if (line !== '' && !line.startsWith('#')) {
        if (discontinuity) this.sequences.add(sequence);
        discontinuity = false;
        sequence++;
      }
    }
  }

  /** The playlist with EXT-X-DISCONTINUITY-SEQUENCE: the discontinuities before its first segment. */
  apply(text: string, mediaSequence: number): string {
    if (/^#EXT-X-DISCONTINUITY-SEQUENCE:/m.test(text)) return text;
    let count = 0;
    for (const sequence of this.sequences) if (sequence < mediaSequence) count++;
    if (count === 0) return text;
    return text.replace(/^(#EXT-X-MEDIA-SEQUENCE:\d+)\r?$/m, `$1\n#EXT-X-DISCONTINUITY-SEQUENCE:${count}`);
  }
}
