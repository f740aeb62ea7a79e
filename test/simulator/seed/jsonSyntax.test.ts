import assert from 'node:assert/strict';
import { findJsonSyntaxError, positionAt } from '../../../src/simulator/seed/jsonSyntax';

describe('jsonSyntax', () => {
  it('finds nothing wrong with valid JSON', () => {
    for (const text of ['{}', ' [1, -2.5e3, "a\\u00e9\\n", true, false, null, {"k": []}] ', '"x"', '0']) {
      assert.equal(findJsonSyntaxError(text), undefined, text);
      assert.doesNotThrow(() => JSON.parse(text));
    }
  });

  it('points at the first offending character', () => {
    const cases: [string, number][] = [
      ['{"a":tru}', 8],
      ['{"a":1,}', 7],
      ['[1 2]', 3],
      ['{"a" 1}', 5],
      ['{"a":"x\\q"}', 8],
      ['{"a":"b\nc"}', 7],
      ['[01]', 2],
      ['{"a":1}}', 7],
      ['[1,2', 4],
      ["{'a':1}", 1],
      ['', 0],
    ];
    for (const [text, offset] of cases) {
      assert.equal(findJsonSyntaxError(text), offset, JSON.stringify(text));
      assert.throws(() => JSON.parse(text));
    }
  });

  it('converts offsets to 1-based lines and columns', () => {
    const text = 'ab\ncd\r\nef';
    assert.deepEqual(positionAt(text, 0), { line: 1, column: 1 });
    assert.deepEqual(positionAt(text, 4), { line: 2, column: 2 });
    assert.deepEqual(positionAt(text, 7), { line: 3, column: 1 });
    assert.deepEqual(positionAt(text, text.length), { line: 3, column: 3 });
  });
});
