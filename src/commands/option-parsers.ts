import { UsageError } from '../errors.js';

/** Commander argument parsers: each validates one flag value and fails with a one-line UsageError. */
export function numberIn(flag: string, min: number, max: number, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

export function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  };
}

export function streamName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)) {
    throw new UsageError(`--name must be letters, digits, "_" or "-" (at most 64), got "${value}"`);
  }
  return value;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `1920x1080` or `1280x720@60`. */
export function sourceSize(value: string): { width: number; height: number; fps: number | undefined } {
  const m = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/.exec(value.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 2 || height < 2 || width > 16384 || height > 16384) {
    throw new UsageError(`--source must look like 1920x1080 or 1280x720@60, got "${value}"`);
  }
  return { width, height, fps: m[3] ? Number(m[3]) : undefined };
}
