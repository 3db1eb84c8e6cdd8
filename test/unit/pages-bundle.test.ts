// The page scripts the API serves (src/pages/static/*.js) are committed builds of web/ and
// client/: this fails when someone edits the sources without running `npm run pages:build`.
import { describe, expect, it } from '@jest/globals';
import { staleBundles } from '../../scripts/build-pages.ts';

describe('page bundles', () => {
  it('the committed bundles equal a fresh build of web/ and client/ (npm run pages:build)', async () => {
    expect(await staleBundles()).toEqual([]);
  });
});
