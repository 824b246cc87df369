import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createOrigin, parseHeaderFlag, type CreateOriginOptions } from '../../src/origins/create-origin.js';
import { FileOrigin } from '../../src/origins/file-origin.js';
import { HttpOrigin } from '../../src/origins/http-origin.js';
import { MomentoOrigin } from '../../src/origins/momento-origin.js';
import type { Origin } from '../../src/origins/origin.js';
import { S3Origin } from '../../src/origins/s3-origin.js';

let emptyHome: string;
let homeWithAws: string;

beforeAll(async () => {
  emptyHome = await mkdtemp(path.join(os.tmpdir(), 'livepipe-home-'));
  homeWithAws = await mkdtemp(path.join(os.tmpdir(), 'livepipe-home-'));
  await mkdir(path.join(homeWithAws, '.aws'));
  await writeFile(path.join(homeWithAws, '.aws', 'credentials'), '[default]\naws_access_key_id = A\naws_secret_access_key = B\n');
});

afterAll(async () => {
  await rm(emptyHome, { recursive: true, force: true });
  await rm(homeWithAws, { recursive: true, force: true });
});

const awsEnv = { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' };
const momentoEnv = { MOMENTO_API_KEY: 'key', MOMENTO_ENDPOINT: 'https://api.cache.example.momentohq.com' };

/** Tables are built before beforeAll runs: HOME is written as '$EMPTY' / '$AWS' and resolved here. */
function make(url: string, opts: Partial<CreateOriginOptions> = {}): Origin {
  const env = { HOME: '$EMPTY', ...(opts.env ?? {}) };
  env.HOME = env.HOME === '$EMPTY' ? emptyHome : env.HOME === '$AWS' ? homeWithAws : env.HOME;
  return createOrigin(url, { headers: [], ...opts, env });
}

describe('createOrigin: good URLs', () => {
  const good: Array<{ url: string; opts?: Partial<CreateOriginOptions>; type: new (...a: never[]) => Origin; description: string; playbackUrl?: string }> = [
    { url: 'http://127.0.0.1:8080/live/', type: HttpOrigin, description: 'http://127.0.0.1:8080/live/', playbackUrl: 'http://127.0.0.1:8080/live/master.m3u8' },
    { url: 'https://ingest.example.com/a b/live', type: HttpOrigin, description: 'https://ingest.example.com/a%20b/live/', playbackUrl: 'https://ingest.example.com/a%20b/live/master.m3u8' },
    { url: 'http://user:pw@host/x/', type: HttpOrigin, description: 'http://host/x/' },
    { url: 'http://host', opts: { headers: ['X-Api-Key: abc', 'Authorization: Basic Zm9v'] }, type: HttpOrigin, description: 'http://host/' },
    { url: 's3://bucket/prefix', opts: { env: { ...awsEnv, HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/prefix/' },
    { url: 's3://bucket', opts: { env: { AWS_PROFILE: 'dev', HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/' },
    { url: 's3://bucket/a/b/', opts: { env: { HOME: '$AWS' } }, type: S3Origin, description: 's3://bucket/a/b/' },
    { url: 's3://bucket/p', opts: { env: { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/p/' },
    { url: 's3://bucket/p', opts: { env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds', HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/p/' },
    { url: 's3://bucket/p', opts: { s3Endpoint: 'http://127.0.0.1:4569', env: { ...awsEnv, HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/p/ (endpoint http://127.0.0.1:4569)' },
    { url: 's3://bucket/p', opts: { env: { ...awsEnv, AWS_ENDPOINT_URL: 'http://minio:9000', HOME: '$EMPTY' } }, type: S3Origin, description: 's3://bucket/p/ (endpoint http://minio:9000)' },
    { url: 'momento://store/live', opts: { env: momentoEnv }, type: MomentoOrigin, description: 'momento://store/live/ (endpoint https://api.cache.example.momentohq.com)' },
    { url: 'momento://store', opts: { env: {}, momento: { apiKey: 'k', endpoint: 'http://127.0.0.1:1' } }, type: MomentoOrigin, description: 'momento://store/ (endpoint http://127.0.0.1:1)' },
    { url: 'file:///srv/www/live', type: FileOrigin, description: 'file:///srv/www/live' },
    { url: 'file://localhost/srv/www', type: FileOrigin, description: 'file:///srv/www' },
  ];

  for (const g of good) {
    it(`${g.url}${g.opts ? ` ${JSON.stringify(g.opts)}` : ''}`, async () => {
      const origin = make(g.url, g.opts);
      try {
        expect(origin).toBeInstanceOf(g.type);
        expect(origin.description).toBe(g.description);
        if (g.playbackUrl) expect(origin.playbackUrl).toBe(g.playbackUrl);
      } finally {
        await origin.close();
      }
    });
  }
});

describe('createOrigin: bad URLs → one-line UsageError', () => {
  const bad: Array<{ url: string; opts?: Partial<CreateOriginOptions>; message: RegExp }> = [
    { url: 'not a url', message: /^malformed origin URL "not a url" \(expected http:\/\/, https:\/\/, s3:\/\/, momento:\/\/ or file:\/\/\/\)$/ },
    { url: '/var/www/live', message: /^malformed origin URL "\/var\/www\/live"/ },
    { url: 'ftp://host/live', message: /^unsupported origin scheme "ftp:" in "ftp:\/\/host\/live" \(supported: http:\/\/, https:\/\/, s3:\/\/, momento:\/\/ or file:\/\/\/\)$/ },
    { url: 'rtmp://host/app', message: /^unsupported origin scheme "rtmp:"/ },
    { url: 'http://host/live/?x=1', message: /must not have a query string or fragment/ },
    { url: 's3:///prefix', opts: { env: awsEnv }, message: /^origin URL "s3:\/\/\/prefix" has no bucket \(expected s3:\/\/bucket\/prefix\)$/ },
    { url: 's3:bucket', opts: { env: awsEnv }, message: /has no bucket/ },
    { url: 's3://bucket/p', opts: { env: { HOME: '/nonexistent-home' } }, message: /^s3:\/\/ origins need AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or create ~\/\.aws\/credentials$/ },
    { url: 's3://bucket/p', opts: { env: { AWS_ACCESS_KEY_ID: 'x', HOME: '/nonexistent-home' } }, message: /AWS_SECRET_ACCESS_KEY is not/ },
    { url: 's3://bucket/p', opts: { s3Endpoint: 'localhost:9000', env: awsEnv }, message: /^--s3-endpoint "localhost:9000" must be an http:\/\/ or https:\/\/ URL$/ },
    { url: 's3://bucket/p', opts: { s3Endpoint: 'nope', env: awsEnv }, message: /^--s3-endpoint "nope" is not a URL/ },
    { url: 'momento:///live', opts: { env: momentoEnv }, message: /^origin URL "momento:\/\/\/live" has no store \(expected momento:\/\/store\/prefix\)$/ },
    { url: 'momento://store/live', opts: { env: { MOMENTO_ENDPOINT: 'https://x' } }, message: /^momento:\/\/ origins need MOMENTO_API_KEY in the environment$/ },
    { url: 'momento://store/live', opts: { env: { MOMENTO_API_KEY: 'k' } }, message: /^momento:\/\/ origins need MOMENTO_ENDPOINT in the environment/ },
    { url: 'momento://store/live', opts: { env: { MOMENTO_API_KEY: 'k', MOMENTO_ENDPOINT: 'api.momento' } }, message: /^MOMENTO_ENDPOINT "api.momento" is not a URL/ },
    { url: 'file:out', message: /^file origin "file:out" must be an absolute file:\/\/\/path/ },
    { url: 'file://server/share', message: /must be an absolute file:\/\/\/path/ },
    { url: 'file:///', message: /must name a folder, not the root/ },
    { url: 'http://host/live/', opts: { headers: ['NoColon'] }, message: /^--header "NoColon" is not of the form 'Name: value'$/ },
    { url: 'http://host/live/', opts: { headers: ['Bad Name: v'] }, message: /is not of the form 'Name: value'/ },
    { url: 'http://host/live/', opts: { headers: [': v'] }, message: /is not of the form 'Name: value'/ },
    { url: 'http://host/live/', opts: { headers: ['Content-Length: 5'] }, message: /^--header cannot set Content-Length/ },
    { url: 's3://bucket/p', opts: { headers: ['X-A: b'], env: awsEnv }, message: /^--header applies only to http:\/\/ and https:\/\/ origins, not s3:\/\/$/ },
  ];

  for (const b of bad) {
    it(`${b.url}${b.opts ? ` ${JSON.stringify(b.opts)}` : ''}`, () => {
      let error: unknown;
      try {
        make(b.url, b.opts);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      const message = (error as Error).message;
      expect(message).toMatch(b.message);
      expect(message).not.toContain('\n');
    });
  }
});

describe('parseHeaderFlag', () => {
  it('splits at the first colon and trims', () => {
    expect(parseHeaderFlag('X-Api-Key: abc')).toEqual(['X-Api-Key', 'abc']);
    expect(parseHeaderFlag('X-Url:http://a:b/c')).toEqual(['X-Url', 'http://a:b/c']);
    expect(parseHeaderFlag('X-Empty:')).toEqual(['X-Empty', '']);
  });
  it('rejects anything else', () => {
    for (const s of ['', 'X', 'X Y: z', 'X-A: b\r\nEvil: 1', ':v']) expect(() => parseHeaderFlag(s)).toThrow(UsageError);
  });
});
