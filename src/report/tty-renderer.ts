/** The least a status renderer needs from a terminal stream (a fake in tests). */
export interface TerminalStream {
  write(chunk: string): unknown;
  columns?: number | undefined;
}

/**
 * Keeps a block of status lines at the bottom of a terminal: log lines scroll above it, the block
 * is redrawn in place. Lines are cut to the terminal width so the block never wraps (a wrapped
 * line would break the cursor arithmetic).
 */
export class TtyStatusRenderer {
  private drawn = 0;
  private block: string[] = [];

  constructor(private readonly out: TerminalStream, private readonly fallbackColumns = 100) {}

  /** Visible characters a status line may use. */
  get width(): number {
    const cols = this.out.columns && this.out.columns > 0 ? this.out.columns : this.fallbackColumns;
    return Math.max(20, cols - 1);
  }

  /** Replaces the status block. */
  render(lines: readonly string[]): void {
    this.block = [...lines];
    this.write(this.eraseSequence() + this.block.join('\n'));
    this.drawn = this.block.length;
  }

  /** Prints a log line above the status block. */
  log(text: string): void {
    this.write(`${this.eraseSequence()}${text}\n${this.block.join('\n')}`);
    this.drawn = this.block.length;
  }

  /** Removes the status block and leaves the cursor at the start of an empty line. */
  clear(): void {
    this.write(this.eraseSequence());
    this.drawn = 0;
    this.block = [];
  }

  /** Carriage return, up to the block's first line, erase to the end of the screen. */
  private eraseSequence(): string {
    if (this.drawn === 0) return '';
    return `\r${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ''}\x1b[J`;
  }

  private write(s: string): void {
    if (s === '') return;
    try {
      this.out.write(s);
    } catch {
      // a closed terminal must not stop the stream
    }
  }
}
