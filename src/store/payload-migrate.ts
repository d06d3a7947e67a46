/**
 * Moving a file store into a bucket, while the depot serves: every payload
 * the catalog references that the bucket lacks is copied from
 * <data>/file. Run before the depot is switched to the bucket, and again
 * by the switched depot as it starts, which carries over whatever was
 * published in between; a payload is never copied twice.
 */
import path from 'node:path'
import { copyPayloads, type CopyResult } from './payload-copy.js'
import { FilePayloads } from './payload-files.js'
import type { PayloadBackend } from './payload-store.js'

export interface Migration extends CopyResult { readonly from: string, readonly to: string, readonly referenced: number }

/** `hashes`: the payloads the catalog references (referencedPayloads). */
export async function migrateFileStore (hashes: readonly string[], dataDir: string, to: PayloadBackend): Promise<Migration> {
  const from = new FilePayloads(dataDir, { create: false })
  const result = await copyPayloads(from, to, hashes, path.join(dataDir, 'tmp'))
  return { ...result, from: from.location, to: to.location, referenced: hashes.length }
}

/** Whether a file store with payloads is left in the data directory. */
export async function fileStoreHolds (dataDir: string): Promise<boolean> {
  for await (const _ of new FilePayloads(dataDir, { create: false }).list()) return true
  return false
}
