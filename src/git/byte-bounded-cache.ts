// Resolved delta bases, kept up to a byte budget, oldest out first: both the pack indexer and the
// object reader rebuild an evicted base from the pack, so the bound is only about memory.
export class ByteBoundedCache<K, V extends { data: Uint8Array }> {
  private readonly entries = new Map<K, V>();
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private bytes = 0;

  constructor(maxBytes: number, maxEntryBytes = maxBytes) {
    this.maxBytes = maxBytes;
    this.maxEntryBytes = maxEntryBytes;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (value.data.length > this.maxEntryBytes || this.entries.has(key)) return;
    this.entries.set(key, value);
    this.bytes += value.data.length;
    for (const [k, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= old.data.length;
    }
  }
}
