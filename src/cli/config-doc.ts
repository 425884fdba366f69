import { CONFIG_SPEC } from '../config.js';

/** Prints the configuration table for README.md (`npm run config:doc`). */
const rows = Object.entries(CONFIG_SPEC).map(([key, spec]) => {
  const def = key === 'workers' ? 'number of CPUs' : spec.secret ? '(unset)' : JSON.stringify(spec.def());
  return `| \`${key}\` | \`${spec.env}\` | ${def} | ${spec.doc} |`;
});
process.stdout.write(['| key in etc/thalamus.json | environment variable | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n');
