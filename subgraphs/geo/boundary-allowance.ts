/**
 * The boundaries each gateway request has been served, across every call the gateway makes to geo
 * for it. A query reaching divisions at several plan steps (a project's division, its applicant's,
 * the applicant's representative's household division) is several calls: counted per call, one
 * request was served ten boundaries a step, thirty in all. A request is known by who asks and the
 * gateway's request id, which is the caller's X-Request-Id where it sent one: a caller that sends
 * one id with several requests within a minute shares one allowance among them, and only its own
 * (a citizen is told apart by its subject). A call without an id (a department's own tools) is
 * counted on its own. Kept per process: a geo run as several replicas counts per replica.
 */
export class BoundaryAllowance {
  /** Requests remembered, the oldest forgotten first: far more than are ever in flight at once. */
  private static readonly REQUESTS = 10_000;
  /** How long a request is remembered: well past the time a request's calls take (each at most 5 s by default). */
  private static readonly FORGET_AFTER_MS = 60_000;
  private readonly served = new Map<string, { count: number; since: number }>();

  constructor(readonly max: number, private readonly now: () => number = Date.now) {}

  /** Whether the request may be served one more boundary; counts it if so. */
  take(request: string): boolean {
    const now = this.now();
    let entry = this.served.get(request);
    if (!entry || now - entry.since > BoundaryAllowance.FORGET_AFTER_MS) {
      this.served.delete(request);
      if (this.served.size >= BoundaryAllowance.REQUESTS) this.served.delete(this.served.keys().next().value as string);
      entry = { count: 0, since: now };
      this.served.set(request, entry);
    }
    if (entry.count >= this.max) return false;
    entry.count += 1;
    return true;
  }
}
