/**
 * The catalog worker: on its own connection, off the serving thread, it
 * seals (brings its copies of the catalog parts up to date, hashes them
 * and writes the seal) and runs admin rebuilds, one request at a time, so
 * the serving thread never spends time proportional to the catalog's size
 * on a publish or a rebuild. The parts' bytes are shared memory: a reply
 * hands them over without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { CatalogParts } from './catalog-parts.js'
import { commitSeal, prepareSeal } from './catalog-seal.js'
import { openDatabase } from './db.js'
import { ReplacedPages } from './release-memory.js'
import { rebuild } from './rebuild.js'
import type { CatalogReply, CatalogRequest, SealedPublisher } from './catalog-worker-protocol.js'
import { Repository } from './repository.js'


const { dataDir, dbFile } = workerData as { dataDir: string, dbFile: string }
const db = openDatabase(dbFile)
const parts = new CatalogParts(db)
/** The signature of each part the serving thread has, so each version crosses once. */
const handedOver = new Map<string, string>()
let repository: Repository | undefined
const replacedPages = new ReplacedPages('sync')

function seal (publisher: string): SealedPublisher {
  const prepared = db.transaction(() => prepareSeal(db, parts, publisher))()
  if (prepared.seal !== null) db.transaction(() => commitSeal(db, prepared.seal!)).immediate()
  const fresh = prepared.parts.filter(p => handedOver.get(`${publisher}\0${p.name}`) !== p.signature)
  for (const p of fresh) handedOver.set(`${publisher}\0${p.name}`, p.signature)
  // Only what the serving thread reads: the pages' stems and the SHA-1 checkpoints stay here.
  return { publisher, revision: prepared.revision, parts: fresh.map(p => ({ name: p.name, signature: p.signature, chunks: p.chunks, size: p.size, stemCount: p.stemCount, versionCount: p.versionCount })) }
}

function answer (req: CatalogRequest): CatalogReply {
  if ('rebuild' in req) {
    repository ??= new Repository(dataDir)
    return { id: req.id, rebuilt: rebuild(repository, req.rebuild) }
  }
  const known = db.prepare('SELECT name FROM publisher ORDER BY name').pluck().all() as string[]
  const sealed = (req.seal ?? known).filter(n => known.includes(n)).map(seal)
  return { id: req.id, sealed, replacedBytes: parts.takeReplacedBytes() }
}

parentPort!.on('message', (req: CatalogRequest) => {
  try {
    const reply = answer(req)
    parentPort!.postMessage(reply)
    if ('sealed' in reply) replacedPages.add(reply.replacedBytes); else replacedPages.collect()
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message } satisfies CatalogReply)
  }
})
