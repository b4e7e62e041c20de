import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from '../context';
import { isDepartmentFailure } from '../partial-answers';

/** One call from the gateway to a department, timed. */
export interface ObservedCall {
  department: string;
  context: GatewayContext;
  ms: number;
  /**
   * The department answered what it was asked: errors it meant for the caller (BAD_USER_INPUT,
   * FORBIDDEN, …) and a refusal of fields its schema does not have yet are answers. Not when the
   * source, which never throws, answered in its stead because the department did not, nor when
   * the department failed at some of the fields (its store or code): the consumer got
   * SUBGRAPH_UNAVAILABLE there.
   */
  ok: boolean;
}

export type CallObserver = (call: ObservedCall) => void;

/**
 * Times every call a data source makes for a consumer's request and tells the observers (usage
 * statistics, metrics). It wraps the source from outside, so whatever the source does inside
 * (signing, timeouts, circuit breaking) is measured as the consumer experiences it.
 */
export function observeCalls<S extends GraphQLDataSource<any>>(source: S, department: string, observers: CallObserver[]): S {
  const process = source.process.bind(source);
  source.process = async (options) => {
    const context = options.context as GatewayContext | undefined;
    if (!context?.principal) return process(options); // the gateway's own schema loads and probes
    const started = performance.now();
    let ok = false;
    try {
      const response = await process(options);
      ok = !isDepartmentFailure(response);
      return response;
    } finally {
      const call = { department, context, ms: performance.now() - started, ok };
      for (const observe of observers) observe(call);
    }
  };
  return source;
}
