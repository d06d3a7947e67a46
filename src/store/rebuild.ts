/**
 * Rebuilds a publisher's generated state from the catalog of record: the
 * catalog/1 files and/or the search index. Each publisher is rebuilt in one
 * transaction, so readers see the previous snapshot until it commits.
 */
import { NotFoundError } from '../errors.js'
import { regenerateCatalog } from './catalog-writer.js'
import type { Repository } from './repository.js'
import { rebuildSearchIndex } from './search-index.js'

export interface RebuildOptions {
  readonly publisher?: string | null
  readonly catalog: boolean
  readonly index: boolean
}

export function rebuild (repo: Repository, opts: RebuildOptions): string[] {
  const names = opts.publisher ? [opts.publisher] : repo.publisherNames()
  for (const name of names) {
    if (!repo.hasPublisher(name)) throw new NotFoundError(`Unknown publisher: ${name}`)
    repo.db.transaction(() => {
      if (opts.catalog) regenerateCatalog(repo.db, name)
      if (opts.index) rebuildSearchIndex(repo.db, name)
    })()
    repo.noteWrite()
  }
  return names
}
