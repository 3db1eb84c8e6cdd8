// The raw-body guards of the API (src/api/middleware/request.ts): duplicate keys are found
// at any depth, compared decoded, and never confused with strings that merely look alike.
import { describe, expect, it } from '@jest/globals';
import { duplicateJsonKey, verifyJsonBody } from '../../src/api/middleware/request.ts';

describe('duplicateJsonKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"items":[{"sku":"X","quantity":1},{"sku":"Y","sku":"Z"}]}', 'items.1.sku'],
    ['{"a":{"b":1},"c":{"b":2,"b":3}}', 'c.b'],
    ['{"pm":"x","\\u0070m":"y"}', 'pm'],
    ['[{"k":1,"k":1}]', '0.k'],
  ])('%s → %s', (text, path) => {
    expect(duplicateJsonKey(text)).toBe(path);
  });

  it.each([
    '{"a":1,"b":{"a":1}}',
    '[{"a":1},{"a":2}]',
    '{"a":"\\"a\\":1,","b":"a"}',
    '{"a":["a","a"],"b":1}',
    '"just a string"',
    '{"a":',
    '',
  ])('no duplicate in %s', (text) => {
    expect(duplicateJsonKey(text)).toBeUndefined();
  });
});

describe('verifyJsonBody', () => {
  it('accepts UTF-8 and refuses other charsets with 415', () => {
    expect(() => verifyJsonBody({}, {}, Buffer.from('{}'), 'utf-8')).not.toThrow();
    expect(() => verifyJsonBody({}, {}, Buffer.from('{}'), 'utf-16le')).toThrow(expect.objectContaining({ status: 415, code: 'unsupported_media_type' }));
  });

  it('refuses a repeated key with 400 and its path', () => {
    expect(() => verifyJsonBody({}, {}, Buffer.from('{"paymentMethod":"a","paymentMethod":"b"}'), 'utf-8')).toThrow(
      expect.objectContaining({ status: 400, code: 'validation_failed', errors: [{ path: 'paymentMethod', message: 'duplicate key', code: 'duplicate_key' }] }),
    );
  });
});
