// npm run pages:build [-- --check]
// Bundles the pages' scripts (web/*.ts + the typed client in client/) into small minified ES
// modules committed under src/pages/static/, which the API serves as plain files. Committing
// the bundle keeps the API free of a build tool at run time (the Docker image copies src/ as
// it is); test/unit/pages-bundle.test.ts fails when the committed bundle is stale.
// --check: exit 1 (listing the files) when the committed bundle differs from a fresh build.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PAGE_ENTRIES = ['demo', 'finance'] as const;
export const bundlePath = (name: string) => `${ROOT}src/pages/static/${name}.js`;

/** Builds every page script in memory: { demo: '…', finance: '…' }. */
export async function buildPages(): Promise<Record<string, string>> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(PAGE_ENTRIES.map((n) => [n, `web/${n}.ts`])),
    outdir: 'src/pages/static',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
    banner: { js: '// Built by scripts/build-pages.ts from web/ and client/ (npm run pages:build). Do not edit.' },
  });
  const out: Record<string, string> = {};
  for (const f of result.outputFiles) out[f.path.replace(/^.*\//, '').replace(/\.js$/, '')] = f.text;
  return out;
}

/** Names of the committed bundles that differ from a fresh build. */
export async function staleBundles(): Promise<string[]> {
  const fresh = await buildPages();
  return Object.entries(fresh).filter(([name, text]) => {
    try {
      return readFileSync(bundlePath(name), 'utf8') !== text;
    } catch {
      return true;
    }
  }).map(([name]) => `src/pages/static/${name}.js`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = await staleBundles();
    if (stale.length) {
      console.error(`stale page bundles: ${stale.join(', ')} — run: npm run pages:build`);
      process.exit(1);
    }
    console.log('page bundles are up to date');
  } else {
    for (const [name, text] of Object.entries(await buildPages())) {
      writeFileSync(bundlePath(name), text);
      console.log(`wrote src/pages/static/${name}.js (${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB)`);
    }
  }
}
