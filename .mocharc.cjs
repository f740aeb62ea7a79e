// Mocha's configuration. Mocha appends spec files named on the command line to a configured `spec` instead of
// replacing it, so `mocha dist/test/x.test.js` used to run the whole suite as well: the whole suite is the spec
// only when the command line names no file under dist/.
'use strict';

const namesFiles = process.argv.slice(2).some((arg) => /^(--spec=)?(\.\/)?dist\//.test(arg));

module.exports = {
  ...(namesFiles ? {} : { spec: ['dist/test/**/*.test.js'] }),
  timeout: 20000,
  exit: true,
  'enable-source-maps': true,
  require: ['dist/test/support/rootHooks.js'],
  'node-option': ['disable-warning=DEP0111'],
};
