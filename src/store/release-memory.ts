/**
 * Catalog pages live in SharedArrayBuffers, shared by the serving thread
 * and the catalog worker, and V8 does not weigh those when it decides to
 * collect garbage: replaced pages would stay allocated until a collection
 * happened for other reasons (when parts were rebuilt whole, RSS reached
 * 1.5 GB after ten publishes into a 229k-version catalog, each followed
 * by a read). After a seal replaces pages, each thread collects: the
 * worker at once (its heap is tiny), the serving thread concurrently (a
 * full pause there took 12-30 ms into L).
 */
import v8 from 'node:v8'
import vm from 'node:vm'

v8.setFlagsFromString('--expose-gc')
const collect = vm.runInNewContext('gc') as (options: { type: 'major', execution: 'sync' | 'async' }) => void

/** `execution`: 'async' on a thread that must not pause. */
export function releaseReplacedParts (execution: 'sync' | 'async'): void {
  collect({ type: 'major', execution })
}
