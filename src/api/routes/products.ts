// Public catalog: GET /v1/products and GET /v1/products/{sku} (with `available` stock).
import { notFound } from '../../infra/errors.ts';
import type { CatalogService } from '../../catalog/service.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { ProductListQuery, SKU_PATTERN } from '../schemas.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

export function productRoutes(catalog: CatalogService): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();

  routes.on('listProducts', async (req, res) => {
    const q = parseOr400(ProductListQuery, req.query, 'query');
    res.setHeader('Cache-Control', 'public, max-age=2');
    res.json(await catalog.listProducts(q));
  });

  routes.on('getProduct', async (req, res) => {
    const sku = String(req.params.sku);
    if (!SKU_PATTERN.test(sku)) throw notFound('product');
    res.setHeader('Cache-Control', 'public, max-age=2');
    res.json(await catalog.getProduct(sku));
  });

  return routes;
}
