import type { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_TIMEOUT_MS, abortReason } from './http-origin.js';
import { OriginError, isRetryableStatus, parseRetryAfter, type ObjectMeta, type Origin } from './origin.js';
import { keySegments } from './safe-key.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<S3Sdk> | undefined;

/** The SDK is large (a third of a second to load): only runs that publish to S3 pay for it. */
function loadSdk(): Promise<S3Sdk> {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
}

export interface S3OriginOptions {
  bucket: string;
  /** Key prefix ("" or "live/"); a missing trailing slash is added. */
  prefix?: string;
  /** A non-AWS endpoint (s3rver, MinIO, R2, …): path-style addressing is used with it. */
  endpoint?: string;
  /** Default: 'us-east-1'. createOrigin fills it from AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Static credentials; without them the SDK's default chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A profile of ~/.aws/config and ~/.aws/credentials for the default chain. */
  profile?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
}

/** Names of S3 errors that a later attempt may not get, whatever their status. */
const RETRYABLE_CODES = new Set(['RequestTimeout', 'RequestTimeTooSkewed', 'SlowDown', 'InternalError', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/** Errors raised before any request is sent: waiting will not fix them. */
const PERMANENT_CLIENT_ERRORS = new Set(['CredentialsProviderError', 'InvalidSignatureException', 'TypeError']);

/**
 * Any S3-compatible store through @aws-sdk/client-s3. Bodies are Buffers and flexible checksums are
 * only computed when an operation requires them: a streamed body with the default checksums is stored
 * with its aws-chunked framing by some S3-compatible servers (silent corruption).
 * The SDK's own retries are off (maxAttempts 1): the publisher retries.
 */
export class S3Origin implements Origin {
  readonly description: string;
  readonly playbackUrl = undefined;
  readonly bucket: string;
  readonly prefix: string;
  private client: Promise<S3Client> | undefined;
  private readonly timeoutMs: number;
  private readonly options: S3OriginOptions;

  constructor(options: S3OriginOptions) {
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.description = `s3://${this.bucket}/${this.prefix}${options.endpoint ? ` (endpoint ${options.endpoint})` : ''}`;
    this.options = options;
  }

  private getClient(): Promise<S3Client> {
    const options = this.options;
    this.client ??= loadSdk().then(
      ({ S3Client }) =>
        new S3Client({
          region: options.region ?? 'us-east-1',
          ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.profile ? { profile: options.profile } : {}),
          maxAttempts: 1,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }),
    );
    return this.client;
  }

  /** The object key for a stream-relative key. */
  keyFor(key: string): string {
    return this.prefix + keySegments(key).join('/');
  }

  async put(key: string, body: Buffer, meta: ObjectMeta, signal?: AbortSignal): Promise<void> {
    const { PutObjectCommand } = await loadSdk();
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.keyFor(key),
      Body: body,
      ContentLength: body.length,
      ContentType: meta.contentType,
      CacheControl: meta.cacheControl,
    });
    await this.send('PUT', key, command, signal);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const { DeleteObjectCommand } = await loadSdk();
    const command = new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyFor(key) });
    await this.send('DELETE', key, command, signal);
  }

  async close(): Promise<void> {
    (await this.client)?.destroy();
  }

  private async send(
    method: 'PUT' | 'DELETE',
    key: string,
    command: InstanceType<S3Sdk['PutObjectCommand']> | InstanceType<S3Sdk['DeleteObjectCommand']>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      // The overloads of send() differ per command; both outputs are ignored.
      const client = await this.getClient();
      await client.send(command as InstanceType<S3Sdk['PutObjectCommand']>, { abortSignal });
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      if (timeout.aborted) throw new OriginError(`${method} ${key}: timed out after ${this.timeoutMs} ms`, true);
      const error = mapS3Error(method, key, e);
      // S3 answers 204 for a missing key; some compatible stores answer NoSuchKey. Either way it is gone.
      if (method === 'DELETE' && error.status === 404 && errorName(e) === 'NoSuchKey') return;
      throw error;
    }
  }
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

function errorName(e: unknown): string {
  const err = (e ?? {}) as SdkErrorShape;
  return err.Code ?? err.name ?? 'Error';
}

/** Maps an @aws-sdk/client-s3 error to OriginError with livepipe's retry rule. */
export function mapS3Error(method: string, key: string, e: unknown): OriginError {
  const err = (e ?? {}) as SdkErrorShape;
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const name = errorName(e);
  const message = (err.message ?? '').split('\n')[0]?.trim() ?? '';
  if (status) {
    const retryAfterMs = parseRetryAfter(err.$response?.headers?.['retry-after']);
    // "UnknownError" / empty messages (e.g. a 403 on DELETE, which has no body) say nothing useful.
    const explain = message && message !== name && message !== 'UnknownError' ? `: ${message}` : '';
    const label = name && name !== 'Error' && name !== 'UnknownError' && !/^\d+$/.test(name) ? ` ${name}` : '';
    return new OriginError(
      `${method} ${key}: ${status}${label}${explain}`,
      isRetryableStatus(status) || RETRYABLE_CODES.has(name),
      status,
      retryAfterMs,
    );
  }
  // No HTTP answer: a network failure (retryable) or a client-side problem such as missing credentials.
  const code = err.code;
  if (code && /^E[A-Z_]+$/.test(code)) return new OriginError(`${method} ${key}: ${code}`, true);
  if (name === 'TimeoutError') return new OriginError(`${method} ${key}: timed out`, true);
  const permanent = PERMANENT_CLIENT_ERRORS.has(name) || /credential/i.test(name) || /credential/i.test(message);
  return new OriginError(`${method} ${key}: ${message || name}`, !permanent);
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}
