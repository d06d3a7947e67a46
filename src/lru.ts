/** A least-recently-used map bounded by the total size of its values. */
export class ByteLru<V extends { byteLength: number }> {
  private readonly map = new Map<string, V>()
  private bytes = 0
  /** Lookups that found their key, and those that did not (metrics). */
  readonly stats = { hits: 0, misses: 0 }
  constructor (private readonly maxBytes: number) {}

  get (key: string): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); this.stats.hits++ } else this.stats.misses++
    return v
  }

  set (key: string, value: V): void {
    if (value.byteLength > this.limit) return
    const old = this.map.get(key)
    if (old !== undefined) { this.bytes -= old.byteLength; this.map.delete(key) }
    this.map.set(key, value)
    this.bytes += value.byteLength
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break
      this.map.delete(k)
      this.bytes -= v.byteLength
    }
  }

  get size (): number { return this.bytes }
  /** The largest value kept: a quarter of the bound, so that one value cannot empty the map. */
  get limit (): number { return this.maxBytes / 4 }
}
