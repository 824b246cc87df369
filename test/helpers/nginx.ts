/**
 * Runs a real nginx (WebDAV PUT/DELETE) in the foreground on a free 127.0.0.1 port, with its
 * config, pid, logs, temp folders and document root in a fresh folder under os.tmpdir().
 *
 *   const nginx = await startNginx();   // throws (the test fails) when nginx is not installed
 *   nginx.url                           // 'http://127.0.0.1:<port>/'
 *   nginx.root                          // the folder it serves and writes into
 *   await nginx.accessLog()             // parsed access log lines (method, path, status, headers)
 *   await nginx.stop()                  // graceful stop, waits for the exit, removes the folder
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface NginxLogLine {
  method: string;
  path: string;
  status: number;
  contentType: string;
  contentLength: string;
  cacheControl: string;
  transferEncoding: string;
  authorization: string;
  /** Value of the X-Livepipe-Test request header. */
  xLivepipeTest: string;
}

export interface NginxServer {
  url: string;
  port: number;
  /** The document root: objects PUT under url land here. */
  root: string;
  /** The folder holding config, logs and root. */
  prefix: string;
  accessLog(): Promise<NginxLogLine[]>;
  stop(): Promise<void>;
}

const FIELDS = ['method', 'path', 'status', 'contentType', 'contentLength', 'cacheControl', 'transferEncoding', 'authorization', 'xLivepipeTest'] as const;

/** Finds the nginx binary: $NGINX_BIN, /usr/sbin/nginx, or nginx on PATH. */
export function findNginx(): string {
  const candidates = [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  throw new Error('nginx is not installed (apt-get install -y nginx, or set NGINX_BIN): the origin tests need a real nginx');
}

export async function startNginx(): Promise<NginxServer> {
  const bin = findNginx();
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'livepipe-nginx-'));
  try {
    // A free port can be taken between choosing and binding it: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await startOnce(bin, prefix, await freePort());
      } catch (e) {
        lastError = e;
        if (!/Address already in use/i.test(String((e as Error).message))) break;
      }
    }
    throw lastError;
  } catch (e) {
    await rm(prefix, { recursive: true, force: true });
    throw e;
  }
}

async function startOnce(bin: string, prefix: string, port: number): Promise<NginxServer> {
  const root = path.join(prefix, 'www');
  for (const d of ['www', 'logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) {
    await mkdir(path.join(prefix, d), { recursive: true });
  }
  const p = (rel: string): string => path.join(prefix, rel);
  // As root, nginx would run its workers as "nobody", who cannot write into a 0700 temp folder.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = `${user}worker_processes 1;
error_log ${p('logs/error.log')} warn;
pid ${p('nginx.pid')};
events { worker_connections 256; }
http {
  log_format probe '$request_method\\t$uri\\t$status\\t$content_type\\t$content_length\\t$http_cache_control\\t$http_transfer_encoding\\t$http_authorization\\t$http_x_livepipe_test';
  access_log ${p('logs/access.log')} probe;
  client_body_temp_path ${p('tmp/body')};
  proxy_temp_path ${p('tmp/proxy')};
  fastcgi_temp_path ${p('tmp/fastcgi')};
  uwsgi_temp_path ${p('tmp/uwsgi')};
  scgi_temp_path ${p('tmp/scgi')};
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; video/mp4 mp4 m4s; }
  default_type application/octet-stream;
  keepalive_timeout 30s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size 64m;
    }
  }
}
`;
  await writeFile(p('nginx.conf'), conf);

  const child = spawn(bin, ['-p', prefix, '-c', p('nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group, so workers can be killed with it if it hangs
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', (e) => (stderr += String(e)));

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) {
      const log = await readFile(p('logs/error.log'), 'utf8').catch(() => '');
      throw new Error(`nginx exited with code ${exitCode} while starting: ${(stderr + log).trim()}`);
    }
    if (await answers(port)) break;
    if (Date.now() > deadline) {
      await kill(child, exited);
      throw new Error(`nginx did not answer on ${url} within 10 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    port,
    root,
    prefix,
    async accessLog() {
      const text = await readFile(p('logs/access.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((line) => {
          const cols = line.split('\t').map((c) => (c === '-' ? '' : c));
          const entry = Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Record<string, string>;
          return { ...entry, status: Number(entry.status) } as unknown as NginxLogLine;
        });
    },
    async stop() {
      await kill(child, exited);
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGQUIT'); // graceful: finish requests, close idle keep-alive connections
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
  if (done) return;
  try {
    process.kill(-child.pid!, 'SIGKILL'); // master and workers: the group we created
  } catch {
    /* already gone */
  }
  await exited;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.end('HEAD / HTTP/1.0\r\n\r\n');
    });
    let data = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('close', () => resolve(/^HTTP\/1\.\d \d{3}/.test(data)));
    socket.on('error', () => resolve(false));
  });
}

