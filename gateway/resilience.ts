import {
  circuitBreaker, ConsecutiveBreaker, CircuitState, ExponentialBackoff, handleWhen, IPolicy, retry, timeout, TimeoutStrategy, wrap,
} from 'cockatiel';
import type { SubgraphResilience } from '../shared/config';
import type { Logger } from '../shared/logger';

/**
 * How the gateway calls one subgraph (cockatiel): a timeout over the whole call, retries with
 * backoff for queries only, and a circuit breaker shared by all calls to that subgraph, so a
 * department that is down fails at once instead of holding every answer for the timeout.
 */
export interface SubgraphPolicy {
  /** Runs one call; `signal` aborts it when the time is up. Queries are retried, mutations never. */
  call<T>(idempotent: boolean, attempt: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** The breaker's state, for logs and tests. */
  state(): 'closed' | 'open' | 'half-open' | 'isolated';
  /** What the policy was built with, so that a refusal can say how long the department is given. */
  readonly settings: SubgraphResilience;
}

export function subgraphPolicy(
  subgraph: string,
  settings: SubgraphResilience,
  logger: Logger,
  /** Refusals the department answered (the caller's input, a schema it does not run yet): not its failure, neither retried nor counted. */
  answered: (error: unknown) => boolean = () => false,
): SubgraphPolicy {
  const failure = handleWhen((error) => !answered(error));
  // Aggressive: the answer leaves within the budget even if a socket ignores the abort.
  // Not aborted on return (abortOnReturn): a finished call has nothing left to abort, and each
  // abort builds a DOMException with a stack trace, 2 % of the gateway's CPU in a profile.
  const budget = timeout(settings.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const breaker = circuitBreaker(failure, {
    halfOpenAfter: settings.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(settings.breakerFailures),
  });
  breaker.onStateChange((state) => {
    const name = stateName(state);
    if (state === CircuitState.Open) logger.warn({ subgraph, breaker: name }, `${subgraph}: circuit open, calls fail at once`);
    else logger.info({ subgraph, breaker: name }, `${subgraph}: circuit ${name}`);
  });
  const retries = retry(failure, {
    maxAttempts: settings.retries,
    backoff: new ExponentialBackoff({ initialDelay: settings.retryDelayMs, maxDelay: settings.retryDelayMs * 8 }),
  });
  // The breaker sits outside the retries: a call counts once however often it was tried, so one
  // request against a department that fails does not open the circuit for everyone by itself, and
  // an open circuit refuses the call before any attempt.
  const queries: IPolicy = wrap(budget, breaker, retries);
  const mutations: IPolicy = wrap(budget, breaker);

  return {
    call: (idempotent, attempt) => (idempotent ? queries : mutations).execute(({ signal }) => attempt(signal)),
    state: () => stateName(breaker.state),
    settings,
  };
}

function stateName(state: CircuitState): 'closed' | 'open' | 'half-open' | 'isolated' {
  switch (state) {
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Isolated:
      return 'isolated';
    default:
      return 'closed';
  }
}
