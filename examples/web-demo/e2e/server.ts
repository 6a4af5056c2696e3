import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

/** A folder to serve, under a URL prefix (`/` for the site root). */
export interface Mount {
  prefix: string;
  dir: string;
}

/** A running static server; `close()` stops it. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves folders over HTTP on 127.0.0.1 (a free port unless `port` is given) with `sirv`, the small static
 * handler Vite's own preview server is built on: correct MIME types (`application/wasm` included), ETags and
 * range requests, no caching surprises. No COOP/COEP headers: the page does not need cross-origin isolation
 * (its wasm backend is single-threaded on purpose, see src/runtime.ts).
 */
export async function serveStatic(mounts: Mount[], port = 0): Promise<StaticServer> {
  const handlers = mounts
    .map((m) => ({ prefix: m.prefix.replace(/\/?$/, '/'), handle: sirv(m.dir, { dev: true, etag: true }) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const mount = handlers.find((h) => url.startsWith(h.prefix));
    const notFound = () => {
      res.statusCode = 404;
      res.end('not found');
    };
    if (!mount) return notFound();
    req.url = '/' + url.slice(mount.prefix.length);
    mount.handle(req, res, notFound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
