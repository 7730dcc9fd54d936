// A static file server for dist/ under a sub-path, bound to 127.0.0.1 (tests and the bench use it
// to prove that the build works from any sub-path with relative URLs only).
// Usage: node tests/e2e/serve.mjs [--dir dist] [--prefix /bourse/] [--port 8090]
// Prints "listening http://127.0.0.1:PORT/PREFIX" once ready. Exported for in-process use.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export function serve({ dir = 'dist', prefix = '/bourse/', port = 0 } = {}) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname + '/' === prefix) {
      res.writeHead(301, { Location: prefix + url.search });
      return res.end();
    }
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not under ' + prefix);
    }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403);
      return res.end();
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found');
      }
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(data);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      resolve({ server, url: `http://127.0.0.1:${p}${prefix}` });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const { url } = await serve({
    dir: arg('--dir', 'dist'), prefix: arg('--prefix', '/bourse/'), port: Number(arg('--port', '8090')),
  });
  console.log('listening ' + url);
}
