import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { ASSETS_URL_PATH, PLAYGROUND_ASSETS, PLAYGROUND_INDEX } from './paths';

export interface PlaygroundOptions {
  /** The gateway offers seeded consumers' tokens at /playground/dev-consumers: the page shows a picker. */
  devConsumers: boolean;
}

/**
 * What the page may load, said to the browser too: this gateway only. GraphiQL sets inline
 * styles, and its fonts and icons are data: URLs inside the style sheet.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>OneSource 一数一源 · 开发者门户</title></head>
<body><h1>OneSource 一数一源</h1>
<p>开发者门户尚未构建：请在项目目录运行 <code>npm run prepare</code>（<code>npm install</code> 与 <code>npm start</code> 会自动构建）。</p>
<p>The developer portal is not built: run <code>npm run prepare</code> in the project (<code>npm install</code> and <code>npm start</code> build it).</p>
</body></html>`;

/** The developer portal: the page at `/` and its bundles under `/playground/assets/`. */
export function playgroundRouter({ devConsumers }: PlaygroundOptions): Router {
  const router = express.Router();
  const page = pageReader(devConsumers);

  router.get('/', (_req, res) => {
    const html = page();
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.status(html ? 200 : 503).type('html').send(html ?? NOT_BUILT);
  });

  // Names carry a content hash: a browser may keep them for good. The build gzipped them.
  const forever = { immutable: true, maxAge: '365d' };
  router.get(`${ASSETS_URL_PATH}/:name`, (req, res, next) => {
    const { name } = req.params;
    if (!/^[\w-]+\.(js|css)$/.test(name) || !req.acceptsEncodings('gzip')) return next();
    const compressed = path.join(PLAYGROUND_ASSETS, `${name}.gz`);
    if (!fs.existsSync(compressed)) return next();
    res.set({ 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }).type(path.extname(name));
    res.sendFile(compressed, forever, (err) => {
      if (!err || res.headersSent) return;
      res.removeHeader('Content-Encoding');
      next();
    });
  });
  router.use(
    ASSETS_URL_PATH,
    express.static(PLAYGROUND_ASSETS, { ...forever, index: false, redirect: false, setHeaders: (res) => res.setHeader('Vary', 'Accept-Encoding') }),
  );
  router.use(ASSETS_URL_PATH, (_req, res) => {
    res.status(404).type('text').send('not found');
  });
  return router;
}

/** index.html as built, re-read when a rebuild replaces it, marked for dev mode. */
function pageReader(devConsumers: boolean): () => string | undefined {
  let cached: { mtimeMs: number; html: string } | undefined;
  return () => {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(PLAYGROUND_INDEX).mtimeMs;
    } catch {
      return undefined;
    }
    if (cached?.mtimeMs !== mtimeMs) {
      const html = fs.readFileSync(PLAYGROUND_INDEX, 'utf8');
      cached = { mtimeMs, html: html.replace('data-dev-consumers="false"', `data-dev-consumers="${devConsumers}"`) };
    }
    return cached.html;
  };
}
