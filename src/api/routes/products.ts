// Public catalog: GET /v1/products and GET /v1/products/{sku} (with `available` stock).
import { Router } from 'express';
import { notFound } from '../../infra/errors.ts';
import type { CatalogService } from '../../catalog/service.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { ProductListQuery, SKU_PATTERN } from '../schemas.ts';

export function productRoutes(catalog: CatalogService): Router {
  const router = Router();

  router.get('/v1/products', async (req, res) => {
    const q = parseOr400(ProductListQuery, req.query, 'query');
    res.setHeader('Cache-Control', 'public, max-age=2');
    res.json(await catalog.listProducts(q));
  });

  router.get('/v1/products/:sku', async (req, res) => {
    const sku = String(req.params.sku);
    if (!SKU_PATTERN.test(sku)) throw notFound('product');
    res.setHeader('Cache-Control', 'public, max-age=2');
    res.json(await catalog.getProduct(sku));
  });

  return router;
}
