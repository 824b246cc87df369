/** A mistake in what the user asked for: exit 2, one line, no stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
  override name = 'UsageError';
}

/** Something failed while running (ffmpeg, origin, device): exit 1 with a one-line reason. */
export class RuntimeFailure extends Error {
  readonly exitCode = 1;
  override name = 'RuntimeFailure';
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof RuntimeFailure) return error.exitCode;
  return 1;
}

/** One line for the terminal: the first line of the message, never a stack. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown error';
}
