import { Command, InvalidArgumentError } from 'commander';
import { readConfig } from '../shared/config';
import { localUrl } from '../shared/http';
import { issueDevToken } from '../gateway/auth/dev-tokens';
import { wholeNumber } from './cli-options';
import { exitOnWrongUsage } from './exit';

const EXAMPLE = 'http://127.0.0.1:4000/graphql';

/**
 * `--gateway`: an absolute http(s) URL, e.g. http://127.0.0.1:4000/graphql. The gateway's base URL
 * (no path, or `/`) means its GraphQL endpoint: /graphql is appended.
 */
function gatewayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not a URL: give the gateway's GraphQL endpoint, e.g. ${EXAMPLE}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`not an http:// or https:// URL (${url.protocol}): give the gateway's GraphQL endpoint, e.g. ${EXAMPLE}`);
  }
  if (url.pathname === '/') url.pathname = '/graphql';
  return url.href;
}

/**
 * The GraphQL answer in a response, or an error naming the URL, the HTTP status and the content
 * type when the response is not one (an HTML error page, say, from a URL that is not the endpoint).
 */
async function graphqlAnswer(url: string, response: Response): Promise<{ data?: any; errors?: { message: string }[] }> {
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const isAnswer = (a: unknown): a is { data?: any; errors?: { message: string }[] } =>
    typeof a === 'object' && a !== null && !Array.isArray(a) && ('data' in a || Array.isArray((a as { errors?: unknown }).errors));
  if (isAnswer(answer)) return answer;
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const type = response.headers.get('content-type') ?? 'no content type';
  throw new Error(
    `the gateway at ${url} did not answer GraphQL (${status}, ${type}${answer === undefined ? '' : ', JSON that is not a GraphQL answer'}): ` +
      `give --gateway the gateway's GraphQL endpoint, which ends in /graphql, e.g. ${EXAMPLE}`,
  );
}

/**
 * `npm run consistency`: runs the cross-department consistency checks (共享校核) on a running
 * gateway, shows their progress, and prints the defects per rule and per department with samples.
 * The checks run inside the gateway and read through it, so this works the same against a
 * gateway on another machine (give --gateway and --token).
 */
const program = new Command('consistency')
  .description('Run the cross-department consistency checks through the gateway and print the report.')
  .option('--gateway <url>', 'the gateway GraphQL endpoint, or its base URL, to which /graphql is added (default: this machine, ONESOURCE_GATEWAY_PORT)', gatewayUrl)
  .option('--token <jwt>', 'a bearer token of an auditor or department operator (default: a dev token for auditor)')
  .option('--samples <n>', 'samples per rule, at most the 20 a run keeps, printed or in the JSON (only these are asked for, so only the persons they name are recorded as read)', wholeNumber({ of: 'samples', max: 20 }), 5)
  .option('--json', 'print the report as JSON')
  .exitOverride(exitOnWrongUsage)
  .parse();

const PROGRESS = `query($id: ID) { consistencyReport(id: $id) { id status progress error } }`;
const REPORT = `query($id: ID, $samples: Int) { consistencyReport(id: $id) {
  id status progress error startedAt finishedAt
  rules { rule description departments checked count samples(first: $samples) { entity key detail } }
  departments { department count }
} }`;

async function main() {
  const config = readConfig();
  const options = program.opts<{ gateway?: string; token?: string; samples: number; json?: boolean }>();
  const url = options.gateway ?? localUrl(config.host, config.gatewayPort, '/graphql');
  const token = options.token ?? (await issueDevToken(config, { consumer: 'auditor' }, '2h'));
  const ask = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': encodeURIComponent('共享校核') },
      body: JSON.stringify({ query, variables }),
    }).catch((e: Error) => {
      throw new Error(`the gateway at ${url} does not answer (${e.message}): start it with npm start`);
    });
    const answer = await graphqlAnswer(url, response);
    if (answer.errors?.length) throw new Error(answer.errors.map((e) => e.message).join('; '));
    return answer.data;
  };

  const { runConsistencyChecks: run } = await ask(`mutation { runConsistencyChecks { id } }`);
  let progress: any;
  let shown = '';
  for (;;) {
    progress = (await ask(PROGRESS, { id: run.id })).consistencyReport;
    if (progress.status !== 'RUNNING') break;
    if (progress.progress !== shown && process.stderr.isTTY) process.stderr.write(`\r\x1b[K  run ${run.id}: ${progress.progress}`);
    shown = progress.progress;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  if (progress.status === 'FAILED') throw new Error(`run ${progress.id} failed: ${progress.error}`);
  const report = (await ask(REPORT, { id: run.id, samples: options.samples })).consistencyReport;
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`共享校核 consistency report, run ${report.id} (${report.startedAt} – ${report.finishedAt})\n`);
  for (const r of report.rules) {
    console.log(`${String(r.count).padStart(7)}  ${r.rule}  [${r.departments.join(' / ')}]  (${r.checked} checked)`);
    console.log(`         ${r.description}`);
    for (const s of r.samples) console.log(`         - ${s.entity} ${s.key}: ${s.detail}`);
  }
  console.log('\nper department (asked to correct):');
  for (const d of report.departments) console.log(`${String(d.count).padStart(7)}  ${d.department}`);
}

main().catch((e: Error) => {
  console.error(`consistency: ${e.message}`);
  process.exit(1);
});
