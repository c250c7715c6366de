// The graphql-http audit suite (GraphQL over HTTP) against a live server:
//   node audit.mjs http://127.0.0.1:8000/graphql
// Prints every audit's id, requirement level, name and result; exits 1 when any MUST or SHOULD
// audit fails (MAY audits are reported, never failing), 2 on a usage error.
import { auditServer } from 'graphql-http';

const BODY_SHOWN = 500; // characters of a failing response's body

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs GRAPHQL_URL');
  process.exit(2);
}

const requirement = (result) => result.name.split(' ', 1)[0];
const mustPass = (result) => ['MUST', 'SHOULD'].includes(requirement(result));

async function describeFailure(result) {
  const { response } = result;
  const body = await response.text().catch((error) => `<unreadable body: ${error}>`);
  return [
    `      reason: ${result.reason}`,
    `      response: ${response.status} ${response.headers.get('content-type') ?? '(no content-type)'}`,
    `      body: ${body.slice(0, BODY_SHOWN)}`,
  ].join('\n');
}

const results = await auditServer({ url });
const failed = [];
for (const result of results) {
  const outcome = result.status === 'ok' ? 'ok' : `FAILED (${result.status})`;
  console.log(`${result.id}  ${outcome.padEnd(16)} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(await describeFailure(result));
    if (mustPass(result)) failed.push(result);
  }
}

const counted = (level) => results.filter((result) => requirement(result) === level);
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const all = counted(level);
  const passed = all.filter((result) => result.status === 'ok').length;
  console.log(`${level}: ${passed} of ${all.length} pass`);
}
if (failed.length) {
  console.log(`graphql-http audit of ${url}: ${failed.length} MUST/SHOULD audit(s) failed: ` +
    failed.map((result) => result.id).join(' '));
  process.exit(1);
}
console.log(`graphql-http audit of ${url}: every MUST and SHOULD audit passes`);
