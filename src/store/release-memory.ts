/**
 * Catalog pages live in SharedArrayBuffers, shared by the serving thread
 * and the catalog worker, and V8 does not weigh those when it decides to
 * collect garbage: replaced pages would stay allocated until a collection
 * happened for other reasons (when parts were rebuilt whole, RSS reached
 * 1.5 GB after ten publishes into a 229k-version catalog, each followed
 * by a read). So each thread counts the bytes of the pages seals replaced
 * and collects once they reach COLLECT_AFTER_BYTES: the worker at once
 * (its heap is tiny), the serving thread concurrently (a full pause there
 * took 12-30 ms into L). A collection after every seal cost a publish
 * followed by a read ~15 ms, for a page or two each.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

v8.setFlagsFromString('--expose-gc')
const collect = vm.runInNewContext('gc') as (options: { type: 'major', execution: 'sync' | 'async' }) => void

const COLLECT_AFTER_BYTES = 16 * 1024 * 1024

export class ReplacedPages {
  private bytes = 0

  /** `execution`: 'async' on a thread that must not pause. */
  constructor (private readonly execution: 'sync' | 'async') {}

  add (bytes: number): void {
    this.bytes += bytes
    if (this.bytes >= COLLECT_AFTER_BYTES) this.collect()
  }

  /** Collects now: after a rebuild, whose garbage is on the heap as well. */
  collect (): void {
    this.bytes = 0
    collect({ type: 'major', execution: this.execution })
  }
}
