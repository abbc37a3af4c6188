import { join } from 'node:path';
import { after, describe } from 'node:test';
import { SqliteCursors } from '../../src/feed/sqliteCursors.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { sinkCursorsBehaviour } from './cursorsBehaviour.js';

describe('sink cursors in DATA_DIR/feed.sqlite', () => {
  const dir = tempDir();
  after(() => removeDir(dir));
  let n = 0;

  sinkCursorsBehaviour(() => {
    const file = join(dir, `${n++}.sqlite`);
    return Promise.resolve({ handle: () => new SqliteCursors(file), done: () => Promise.resolve() });
  });
});
