import path from 'node:path';

/** Where the portal's sources live and where their build goes (gitignored, never committed). */
export const PLAYGROUND_SOURCE = path.join(__dirname, 'src');
export const PLAYGROUND_DIST = path.join(__dirname, 'dist');
/** Hashed bundles, served at {@link ASSETS_URL_PATH}. */
export const PLAYGROUND_ASSETS = path.join(PLAYGROUND_DIST, 'assets');
export const PLAYGROUND_INDEX = path.join(PLAYGROUND_DIST, 'index.html');
export const ASSETS_URL_PATH = '/playground/assets';
