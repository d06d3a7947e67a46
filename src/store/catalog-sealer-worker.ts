/**
 * The sealer's worker: on its own connection, brings its copies of the
 * catalog parts up to date, hashes them and writes the seal, so the
 * serving thread never spends time proportional to the catalog's size on
 * a publish. The parts' bytes are shared memory: the reply hands them over
 * without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { type CatalogPart, CatalogParts } from './catalog-parts.js'
import { commitSeal, prepareSeal } from './catalog-seal.js'
import { openDatabase } from './db.js'

export interface SealRequest { readonly id: number, readonly publishers: readonly string[] | null }
export interface SealedPublisher { readonly publisher: string, readonly revision: number, readonly parts: readonly CatalogPart[] }
export type SealReply = { id: number, sealed: SealedPublisher[] } | { id: number, error: string }

const { dbFile } = workerData as { dbFile: string }
const db = openDatabase(dbFile)
const parts = new CatalogParts(db)
/** The signature of each part the serving thread has, so each version crosses once. */
const handedOver = new Map<string, string>()

function seal (publisher: string): SealedPublisher {
  const prepared = db.transaction(() => prepareSeal(db, parts, publisher))()
  if (prepared.seal !== null) db.transaction(() => commitSeal(db, prepared.seal!)).immediate()
  const fresh = prepared.parts.filter(p => handedOver.get(`${publisher}\0${p.name}`) !== p.signature)
  for (const p of fresh) handedOver.set(`${publisher}\0${p.name}`, p.signature)
  // Only what the serving thread reads: the part's arrays of stems stay here.
  return { publisher, revision: prepared.revision, parts: fresh.map(p => ({ name: p.name, signature: p.signature, bytes: p.bytes, stemCount: p.stemCount, versionCount: p.versionCount })) }
}

parentPort!.on('message', (req: SealRequest) => {
  try {
    const names = req.publishers ?? db.prepare('SELECT name FROM publisher ORDER BY name').pluck().all() as string[]
    const known = new Set(db.prepare('SELECT name FROM publisher').pluck().all() as string[])
    parentPort!.postMessage({ id: req.id, sealed: names.filter(n => known.has(n)).map(seal) } satisfies SealReply)
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message } satisfies SealReply)
  }
})
