// Ops endpoints: stock levels per warehouse and product upserts (role ops).
import { AppError, notFound } from '../../infra/errors.ts';
import type { CatalogService } from '../../catalog/service.ts';
import { requireRole } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { InventoryPutBody, ProductUpsertBody, SKU_PATTERN } from '../schemas.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

export function adminRoutes(catalog: CatalogService): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
  const ops = requireRole('ops');
  const skuOf = (raw: unknown) => {
    const sku = String(raw);
    if (!SKU_PATTERN.test(sku)) throw notFound('product');
    return sku;
  };

  routes.on('getInventory', ops, async (req, res) => {
    res.json(await catalog.getInventory(skuOf(req.params.sku)));
  });

  routes.on('setInventory', ops, async (req, res) => {
    const sku = skuOf(req.params.sku);
    const body = parseOr400(InventoryPutBody, req.body, 'body');
    res.json(await catalog.setStock(sku, body.warehouse, body.onHand));
  });

  routes.on('upsertProduct', ops, async (req, res) => {
    const sku = String(req.params.sku);
    if (!SKU_PATTERN.test(sku)) {
      throw new AppError(400, 'validation_failed', 'The sku is not valid.', { errors: [{ path: 'params.sku', message: 'upper-case letters, digits and dashes, max 64' }] });
    }
    const body = parseOr400(ProductUpsertBody, req.body, 'body');
    const { created, product } = await catalog.upsertProduct(sku, body);
    if (created) res.setHeader('Location', `/v1/products/${sku}`);
    res.status(created ? 201 : 200).json(product);
  });

  return routes;
}
