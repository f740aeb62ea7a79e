// Mocha's configuration. Mocha appends spec files named on the command line to a configured `spec` instead of
// replacing it, so `mocha dist/test/x.test.js` used to run the whole suite as well: the whole suite is the spec
// only when the command line names no file under dist/ (other than as the value of --require and the like).
'use strict';

const VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--file',
  '--ignore',
  '--exclude',
  '--config',
  '-n',
  '--node-option',
]);
const args = process.argv.slice(2);
const namesFiles = args.some((arg, i) => /^(--spec=)?(\.\/)?dist\//.test(arg) && !VALUE_OPTIONS.has(args[i - 1] ?? ''));

module.exports = {
  ...(namesFiles ? {} : { spec: ['dist/test/**/*.test.js'] }),
  timeout: 20000,
  exit: true,
  'enable-source-maps': true,
  require: ['dist/test/support/rootHooks.js'],
  'node-option': ['disable-warning=DEP0111'],
};
