import type { ObjectMeta } from './origin.js';

/** Content type and CDN caching for each kind of file livepipe publishes (DESIGN.md 2). */
export function metaForKey(key: string): ObjectMeta {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'm3u8':
      // max-age=1, not no-cache: a CDN edge may then answer every viewer's poll itself.
      return { contentType: 'application/vnd.apple.mpegurl', cacheControl: 'public, max-age=1' };
    case 'ts':
      return { contentType: 'video/mp2t', cacheControl: 'public, max-age=31536000, immutable' };
    case 'm4s':
    case 'mp4':
      return { contentType: 'video/mp4', cacheControl: 'public, max-age=31536000, immutable' };
    case 'aac':
      return { contentType: 'audio/aac', cacheControl: 'public, max-age=31536000, immutable' };
    case 'vtt':
      return { contentType: 'text/vtt', cacheControl: 'public, max-age=31536000, immutable' };
    default:
      return { contentType: 'application/octet-stream', cacheControl: 'public, max-age=1' };
  }
}
