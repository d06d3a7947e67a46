/**
 * Rebuilds a publisher's generated state from the catalog of record: the
 * catalog/1 files (after adding packages that wait for the catalog) and/or
 * the search index. Each publisher is rebuilt in one
 * transaction, so readers see the previous snapshot until it commits.
 *
 * A refresh (pkg5's add_content) only adds the packages that wait for the
 * catalog, as one incremental change, sealed afterwards like a publish: a
 * pkgrecv into a large catalog ends with one, and must not regenerate it.
 * The search index needs no refresh: every package is indexed when stored.
 */
import { NotFoundError } from '../errors.js'
import type { CatalogFormat } from '../ips/catalog.js'
import { nowCatalogTime } from '../ips/timestamp.js'
import { regenerateCatalog } from './catalog-writer.js'
import { addToCatalog, pendingPackages } from './publish.js'
import type { Repository } from './repository.js'
import type { RebuildOptions } from './catalog-worker-protocol.js'
import { rebuildSearchIndex } from './search-index.js'


export function rebuild (repo: Repository, opts: RebuildOptions): string[] {
  const names = opts.publisher ? [opts.publisher] : repo.publisherNames()
  for (const name of names) {
    if (!repo.hasPublisher(name)) throw new NotFoundError(`Unknown publisher: ${name}`)
    repo.db.transaction(() => {
      const converted = opts.catalogFormat !== undefined && convertCatalog(repo, name, opts.catalogFormat)
      if (opts.catalog || converted) {
        // Packages closed with X-IPkg-Add-To-Catalog: 0 (pkgrecv) join the catalog now, at one op-time.
        addToCatalog(repo.db, name, pendingPackages(repo.db, name), nowCatalogTime())
        if (opts.refresh !== true || converted) regenerateCatalog(repo.db, name)
      }
      if (opts.index && opts.refresh !== true) rebuildSearchIndex(repo.db, name)
    }).immediate()
    repo.noteWrite()
  }
  return names
}


/**
 * Switches a publisher's catalog format. Every file's bytes change with no
 * update-log entry to explain them, so `created` is renewed: a client then
 * fetches the catalog whole once, instead of failing an incremental update.
 */
function convertCatalog (repo: Repository, publisher: string, format: CatalogFormat): boolean {
  const now = nowCatalogTime()
  return repo.db.prepare('UPDATE publisher SET catalog_format = ?, catalog_created = ?, catalog_last_modified = ? WHERE name = ? AND catalog_format <> ?')
    .run(format, now, now, publisher, format).changes > 0
}
