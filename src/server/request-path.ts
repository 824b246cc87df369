/** The object key a request path names, or why the path is refused (HTTP 400). */
export type ParsedPath = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Turns a raw request target ("/live/720p/seg_1.ts?_HLS_msn=3") into an object key ("live/720p/seg_1.ts").
 * Each segment is percent-decoded exactly once, then refused if it is empty, "." or "..", or contains
 * "/", "\" or NUL — so "/../x", "/%2e%2e/x", "/a%2fb", "/a%5cb" and "/a%00" never reach a store.
 * A doubly encoded "%252e%252e" decodes to the harmless literal name "%2e%2e". The root "/" is the key "".
 * The query string is ignored here (LL-HLS will read `_HLS_msn`/`_HLS_part` from it).
 */
export function parseRequestPath(target: string): ParsedPath {
  let raw = target;
  // Absolute-form ("http://host/path"), which HTTP/1.1 servers must accept.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(raw);
  if (absolute) raw = absolute[1] || '/';
  const end = raw.search(/[?#]/);
  if (end >= 0) raw = raw.slice(0, end);
  if (!raw.startsWith('/')) return { ok: false, reason: 'the path must start with "/"' };
  if (raw === '/') return { ok: true, key: '' };
  if (raw.includes('\\') || raw.includes('\0')) return { ok: false, reason: 'backslashes and NUL are not allowed in paths' };
  const segments: string[] = [];
  for (const encoded of raw.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return { ok: false, reason: 'malformed percent-encoding in the path' };
    }
    const problem = segmentProblem(segment);
    if (problem) return { ok: false, reason: problem };
    segments.push(segment);
  }
  return { ok: true, key: segments.join('/') };
}

/** True for a non-empty relative key whose every segment is a plain name. */
export function isSafeKey(key: string): boolean {
  return key !== '' && key.split('/').every((s) => segmentProblem(s) === undefined);
}

/** The key as a URL path (without the leading slash), each segment percent-encoded. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'empty path segments ("//" or a trailing "/") are not allowed';
  if (segment === '.' || segment === '..') return '"." and ".." are not allowed in paths';
  if (segment.includes('/')) return 'an encoded "/" (%2F) inside a path segment is not allowed';
  if (segment.includes('\\') || segment.includes('\0')) return 'backslashes and NUL are not allowed in paths';
  return undefined;
}
