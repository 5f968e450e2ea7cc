// A Map capped at `capacity` entries that forgets the least recently used one first (a hit
// moves the entry to the back). Values may be null/ZERO: "known absent" is worth caching too.
export class BoundedCache<V> {
  private readonly map = new Map<string, V>()
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }

  set(key: string, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!)
  }

  /** Forget everything (a function's state was dropped; rare). */
  clear(): void {
    this.map.clear()
  }
}
