import path from 'node:path';
import { projectPath } from '../../shared/project-root';

/** Where the portal's sources live and where their build goes (gitignored, never committed). */
export const PLAYGROUND_SOURCE = projectPath('gateway', 'playground', 'src');
export const PLAYGROUND_DIST = projectPath('gateway', 'playground', 'dist');
/** Hashed bundles, served at {@link ASSETS_URL_PATH}. */
export const PLAYGROUND_ASSETS = path.join(PLAYGROUND_DIST, 'assets');
export const PLAYGROUND_INDEX = path.join(PLAYGROUND_DIST, 'index.html');
export const ASSETS_URL_PATH = '/playground/assets';
