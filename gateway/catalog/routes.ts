import { Router } from 'express';
import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import type { Catalog } from './build';
import { renderCatalogPage } from './page';
import { publishedCatalog } from './query';

/**
 * `GET /catalog.json` and `GET /catalog`: the published catalogue, without a token. A catalogue is
 * public inside the government network (it is how a system learns what to apply for); it names
 * resources, owners and which consumers hold grants, never any data. `?consumer=<id>` adds
 * `readable` for that consumer.
 */
export function catalogRouter(db: Knex, catalog: () => Catalog, logger: Logger): Router {
  const router = Router();
  const consumerOf = (value: unknown) => (typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : null);
  router.get('/catalog.json', async (req, res) => {
    try {
      res.json(await publishedCatalog(db, catalog(), consumerOf(req.query.consumer)));
    } catch (err) {
      logger.error({ err }, 'catalogue failed');
      res.status(500).json({ error: 'The catalogue is not available now' });
    }
  });
  router.get('/catalog', async (req, res) => {
    try {
      const page = renderCatalogPage(await publishedCatalog(db, catalog(), consumerOf(req.query.consumer)));
      res
        .set('content-type', 'text/html; charset=utf-8')
        .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(page);
    } catch (err) {
      logger.error({ err }, 'catalogue failed');
      res.status(500).type('text/plain').send('The catalogue is not available now');
    }
  });
  return router;
}
