/**
 * A memo of at most `limit` values by key, the oldest dropped first: per distinct operation, plenty
 * for the operations a province's systems send, and bounded against a caller who sends endless
 * distinct ones. Used by the gateway's guard (operation shapes, rewrites), operation limits (page
 * sizes), usage statistics (operation shapes) and fetch merging (root shapes, merged texts), and by
 * every department's endpoint (parsed and validated documents).
 *
 * It is bounded by the text it keeps alive too (`chars`, 4 million characters, 8 MB, by default):
 * each entry weighs its key's length, or the length of the operation text its value holds on to
 * (a parsed document's nodes keep their source). Counted by entries alone, 5,000 distinct queries
 * padded with spaces to a megabyte each (under the body limit, and 4 lexical tokens) held 5 GB,
 * far past the heap, and stopped the gateway in ten seconds.
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, { value: V; weight: number }>();
  private weights = 0;
  constructor(
    private readonly limit: number,
    private readonly chars = 4_000_000,
  ) {}
  /** `weight`: the characters of text the value keeps alive, if more than its key's. */
  get(key: string, make: () => V, weight = key.length): V {
    const kept = this.values.get(key);
    if (kept !== undefined) return kept.value;
    const value = make();
    // An entry heavier than the whole budget is not kept: it would push out every other.
    if (weight > this.chars) return value;
    while (this.values.size && (this.values.size >= this.limit || this.weights + weight > this.chars)) this.dropOldest();
    this.values.set(key, { value, weight });
    this.weights += weight;
    return value;
  }
  clear() {
    this.values.clear();
    this.weights = 0;
  }
  private dropOldest() {
    const [oldest, { weight }] = this.values.entries().next().value as [string, { weight: number }];
    this.values.delete(oldest);
    this.weights -= weight;
  }
}
