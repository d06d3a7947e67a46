/**
 * Rebuilds a publisher's generated state from the catalog of record: the
 * catalog/1 files (after adding packages that wait for the catalog) and/or
 * the search index. Each publisher is rebuilt in one
 * transaction, so readers see the previous snapshot until it commits.
 */
import { NotFoundError } from '../errors.js'
import { nowCatalogTime } from '../ips/timestamp.js'
import { regenerateCatalog } from './catalog-writer.js'
import { addToCatalog, pendingPackages } from './publish.js'
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
      if (opts.catalog) {
        // Packages closed with X-IPkg-Add-To-Catalog: 0 (pkgrecv) join the catalog now, at one op-time.
        addToCatalog(repo.db, name, pendingPackages(repo.db, name), nowCatalogTime())
        regenerateCatalog(repo.db, name)
      }
      if (opts.index) rebuildSearchIndex(repo.db, name)
    })()
    repo.noteWrite()
  }
  return names
}
