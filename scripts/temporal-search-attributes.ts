// npm run temporal:search-attributes — registers the custom search attributes the Web UI
// filters on (workflows/search-attributes.ts) on a running Temporal cluster, idempotently.
// The dev stack does not need it (scripts/dev.ts passes --search-attribute to start-dev);
// a self-hosted cluster does, once per namespace, before the first worker starts.
// Temporal Cloud: the same call works with an API key that has namespace-admin rights;
// otherwise add them in the Cloud UI or with `tcld namespace search-attributes add`.
import type { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { loadConfig } from '../src/infra/config.ts';
import { connectClient } from '../src/infra/temporal.ts';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../src/contracts/index.ts';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
// Values of temporal.api.enums.v1.IndexedValueType (the proto package is not a direct dependency).
const INDEXED_TYPE: Record<'Keyword' | 'Int', number> = { Keyword: 2, Int: 3 };
const TYPE_NAME: Record<number, string> = { 1: 'Text', 2: 'Keyword', 3: 'Int', 4: 'Double', 5: 'Bool', 6: 'Datetime', 7: 'KeywordList' };

export interface RegistrationResult {
  added: string[];
  existing: string[];
}

export class SearchAttributeTypeMismatch extends Error {
  constructor(mismatches: string[]) {
    super(`Search attributes already registered with another type (fix by hand, Temporal cannot change a type): ${mismatches.join('; ')}`);
    this.name = 'SearchAttributeTypeMismatch';
  }
}

/**
 * Adds every missing attribute of `definitions` to `namespace`. Already registered with the
 * same type → left alone; with another type → SearchAttributeTypeMismatch (nothing is added).
 */
export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  definitions: Record<string, 'Keyword' | 'Int'> = SEARCH_ATTRIBUTE_DEFINITIONS,
): Promise<RegistrationResult> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const current = { ...(listed.systemAttributes ?? {}), ...(listed.customAttributes ?? {}) } as Record<string, number>;
  const missing: Record<string, IndexedValueType> = {};
  const existing: string[] = [];
  const mismatches: string[] = [];
  for (const [name, type] of Object.entries(definitions)) {
    const have = current[name];
    if (have === undefined) missing[name] = INDEXED_TYPE[type] as IndexedValueType;
    else if (have === INDEXED_TYPE[type]) existing.push(name);
    else mismatches.push(`${name} is ${TYPE_NAME[have] ?? have}, expected ${type}`);
  }
  if (mismatches.length) throw new SearchAttributeTypeMismatch(mismatches);
  const added = Object.keys(missing);
  if (added.length) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      // A concurrent run may have added them first (gRPC ALREADY_EXISTS = 6): that is success.
      if ((err as { code?: number }).code !== 6) throw err;
    }
  }
  return { added, existing };
}

if (import.meta.main) {
  const config = loadConfig();
  const client = await connectClient(config.temporal, config.codec);
  try {
    const { added, existing } = await registerSearchAttributes(client.connection as Connection, config.temporal.namespace);
    console.log(`[search-attributes] ${config.temporal.address} namespace=${config.temporal.namespace}: added ${added.join(', ') || 'none'}; already present ${existing.join(', ') || 'none'}`);
  } catch (err) {
    console.error(`\n✖ could not register search attributes on ${config.temporal.address} (namespace ${config.temporal.namespace}): ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}
