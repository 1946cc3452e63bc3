// Reads one JSON-encoded string per line on stdin (a JSON text to test) and writes, per line,
// `OK <JSON.stringify(JSON.parse(text))>` or `ERR` when JSON.parse throws. The output of
// JSON.stringify never holds a raw line feed, so one result is one line.
'use strict';
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on('line', (line) => {
  const text = JSON.parse(line);
  let result;
  try {
    result = 'OK ' + JSON.stringify(JSON.parse(text));
  } catch (e) {
    result = 'ERR';
  }
  out.push(result);
});
rl.on('close', () => {
  process.stdout.write(out.join('\n') + '\n');
});
