import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { FileOrigin } from './file-origin.js';
import { HttpOrigin } from './http-origin.js';
import { MomentoOrigin } from './momento-origin.js';
import type { Origin } from './origin.js';
import { S3Origin } from './s3-origin.js';

export interface CreateOriginOptions {
  /** `--header 'Name: value'` flags (http(s) origins only). */
  headers: string[];
  /** Bearer token for http(s) origins; defaults to env.LIVEPIPE_ORIGIN_TOKEN. */
  token?: string;
  /** `--s3-endpoint`; defaults to AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  s3Endpoint?: string;
  /** Overrides of MOMENTO_API_KEY / MOMENTO_ENDPOINT. */
  momento?: { apiKey?: string; endpoint?: string };
  /** Per-request timeout of the adapter (default 10 s). */
  timeoutMs?: number;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

const SUPPORTED = 'http://, https://, s3://, momento:// or file:///';

/**
 * Builds the origin adapter for `--origin <url>`. Every mistake is a UsageError with one line.
 * (No --origin means the built-in origin, which is started elsewhere.)
 */
export function createOrigin(url: string, opts: CreateOriginOptions): Origin {
  const env = opts.env ?? process.env;
  const timeoutMs = opts.timeoutMs;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`malformed origin URL "${url}" (expected ${SUPPORTED})`);
  }
  const headers = opts.headers.map(parseHeaderFlag);
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (headers.length > 0 && scheme !== 'http' && scheme !== 'https') {
    throw new UsageError(`--header applies only to http:// and https:// origins, not ${scheme}://`);
  }

  switch (scheme) {
    case 'http':
    case 'https': {
      if (!parsed.hostname) throw new UsageError(`origin URL "${url}" has no host`);
      if (parsed.search || parsed.hash) {
        throw new UsageError(`origin URL "${url}" must not have a query string or fragment`);
      }
      const token = opts.token ?? (env.LIVEPIPE_ORIGIN_TOKEN || undefined);
      return new HttpOrigin(parsed, {
        headers,
        ...(token ? { token } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    }

    case 's3': {
      const bucket = parsed.hostname;
      if (!bucket) throw new UsageError(`origin URL "${url}" has no bucket (expected s3://bucket/prefix)`);
      if (parsed.search || parsed.hash || parsed.username || parsed.port) {
        throw new UsageError(`malformed origin URL "${url}" (expected s3://bucket/prefix)`);
      }
      const endpoint = opts.s3Endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
      if (endpoint) checkHttpUrl(endpoint, opts.s3Endpoint ? '--s3-endpoint' : 'AWS_ENDPOINT_URL');
      const credentials = awsCredentialsFromEnv(env);
      return new S3Origin({
        bucket,
        prefix: decodeURIComponent(parsed.pathname),
        ...(endpoint ? { endpoint } : {}),
        region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
        ...(credentials ? { credentials } : {}),
        ...(!credentials && env.AWS_PROFILE ? { profile: env.AWS_PROFILE } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    }

    case 'momento': {
      const store = decodeURIComponent(parsed.hostname);
      if (!store) throw new UsageError(`origin URL "${url}" has no store (expected momento://store/prefix)`);
      if (parsed.search || parsed.hash || parsed.username || parsed.port) {
        throw new UsageError(`malformed origin URL "${url}" (expected momento://store/prefix)`);
      }
      const apiKey = opts.momento?.apiKey || env.MOMENTO_API_KEY;
      const endpoint = opts.momento?.endpoint || env.MOMENTO_ENDPOINT;
      if (!apiKey) throw new UsageError('momento:// origins need MOMENTO_API_KEY in the environment');
      if (!endpoint) {
        throw new UsageError('momento:// origins need MOMENTO_ENDPOINT in the environment (the HTTP API base URL of your region)');
      }
      checkHttpUrl(endpoint, 'MOMENTO_ENDPOINT');
      return new MomentoOrigin({
        endpoint,
        apiKey,
        store,
        prefix: decodeURIComponent(parsed.pathname),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    }

    case 'file': {
      // Only file:///absolute/path (or file://localhost/…): "file:out" would silently mean /out.
      if (!/^file:\/\//i.test(url) || (parsed.hostname && parsed.hostname !== 'localhost')) {
        throw new UsageError(`file origin "${url}" must be an absolute file:///path (e.g. file://${process.cwd()}/out)`);
      }
      const dir = fileURLToPath(parsed);
      if (dir === path.parse(dir).root) throw new UsageError(`file origin "${url}" must name a folder, not the root`);
      return new FileOrigin(dir);
    }

    default:
      throw new UsageError(`unsupported origin scheme "${scheme}:" in "${url}" (supported: ${SUPPORTED})`);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers that describe the request framing: letting a user set them would break requests. */
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

/** Parses one `--header 'Name: value'` flag. Throws UsageError if it is not of that form. */
export function parseHeaderFlag(s: string): [string, string] {
  const colon = s.indexOf(':');
  const name = colon < 0 ? '' : s.slice(0, colon).trim();
  const value = colon < 0 ? '' : s.slice(colon + 1).trim();
  if (!name || !TOKEN.test(name) || /[\r\n\0]/.test(value)) {
    throw new UsageError(`--header "${s}" is not of the form 'Name: value'`);
  }
  if (RESERVED.has(name.toLowerCase())) {
    throw new UsageError(`--header cannot set ${name}: livepipe sets the request framing itself`);
  }
  return [name, value];
}

function checkHttpUrl(value: string, what: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${what} "${value}" is not a URL (expected http(s)://host[:port])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`${what} "${value}" must be an http:// or https:// URL`);
  }
}

/**
 * Static credentials from the environment (passed to the SDK explicitly, so an `env` other than
 * process.env works), undefined when the SDK's default chain must find them, or a UsageError when
 * nothing in the default chain could possibly provide any.
 * (Limit: credentials served only by the EC2 instance metadata service are not detected.)
 */
function awsCredentialsFromEnv(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  if (id && !secret) throw new UsageError('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not');
  if (
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI
  ) {
    return undefined;
  }
  const home = env.HOME || env.USERPROFILE || os.homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'),
    env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config'),
  ];
  if (files.some((f) => existsSync(f))) return undefined;
  throw new UsageError(
    's3:// origins need AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or create ~/.aws/credentials',
  );
}
