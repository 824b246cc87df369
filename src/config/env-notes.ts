/**
 * Environment variables supply secrets and endpoints only when no flag or config value did; when
 * one is set but not used, say so rather than ignore it silently.
 */
export function environmentNotes(
  opts: { origin?: string | undefined; header?: string[] | undefined; s3Endpoint?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const notes: string[] = [];
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(opts.origin ?? '')?.[1]?.toLowerCase();
  const hasAuthHeader = (opts.header ?? []).some((h) => /^\s*authorization\s*:/i.test(h));
  if ((scheme === 'http' || scheme === 'https') && hasAuthHeader && env['LIVEPIPE_ORIGIN_TOKEN']) {
    notes.push('note: LIVEPIPE_ORIGIN_TOKEN is not used: an Authorization header is given (--header or config file)');
  }
  if (scheme === 's3' && opts.s3Endpoint) {
    for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
      const value = env[name];
      if (value && value !== opts.s3Endpoint) notes.push(`note: ${name} (${value}) is not used: --s3-endpoint ${opts.s3Endpoint} is given`);
    }
  }
  return notes;
}
