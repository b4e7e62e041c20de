/**
 * A memo of at most `limit` values by key, the oldest dropped first: per distinct operation, plenty
 * for the operations a province's systems send, and bounded against a caller who sends endless
 * distinct ones. Used by the gateway's guard (operation shapes, rewrites), operation limits (page
 * sizes), usage statistics (operation shapes) and fetch merging (root shapes, merged texts), and by
 * every department's endpoint (parsed and validated documents).
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, make: () => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value as string);
      value = make();
      this.values.set(key, value);
    }
    return value;
  }
  clear() {
    this.values.clear();
  }
}
