/**
 * A memo of at most `limit` values by key, the oldest dropped first: per distinct operation, plenty
 * for the operations a province's systems send, and bounded against a caller who sends endless
 * distinct ones. Used by the guard (operation shapes, rewrites), the operation limits (page sizes) and the usage
 * statistics (operation shapes).
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
