/**
 * Runs the suites in Jest's usual order, except that the one that stops and restarts the shared
 * MariaDB server goes last: no other suite should meet a database that is briefly away.
 */
const Sequencer = require('@jest/test-sequencer').default;

const LAST = /mariadb-restart\.test\.ts$/;

class RestartLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => !LAST.test(t.path)), ...sorted.filter((t) => LAST.test(t.path))];
  }
}

module.exports = RestartLastSequencer;
