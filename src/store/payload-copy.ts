/**
 * Copying payloads between backends: what backups, restores and the move
 * of a file store into a bucket (`ips-depot payloads migrate`) share.
 * Payloads are immutable and named by content, so a payload the target
 * has is never copied again, and a copy interrupted anywhere is finished by
 * running it again.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { type PayloadBackend, PayloadMissingError } from './payload-store.js'

export interface CopyResult { readonly copied: number, readonly present: number, readonly missing: readonly string[] }

const PARALLEL = 8

/**
 * Copies `hashes` from one backend to another where the target lacks them.
 * A backend without local files (a bucket) is read into `staging` first.
 */
export async function copyPayloads (from: PayloadBackend, to: PayloadBackend, hashes: readonly string[], staging: string): Promise<CopyResult> {
  const present = new Set<string>()
  // One listing instead of a request per payload, where the target is a bucket.
  for await (const h of to.list()) present.add(h)
  let copied = 0
  let already = 0
  const missing: string[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < hashes.length) {
      const hash = hashes[next++]!
      if (present.has(hash)) { already++; continue }
      if (await copyOne(from, to, hash, staging)) copied++; else missing.push(hash)
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  return { copied, present: already, missing: missing.sort() }
}

async function copyOne (from: PayloadBackend, to: PayloadBackend, hash: string, staging: string): Promise<boolean> {
  const local = from.localPath(hash)
  if (local !== null) {
    const size = await fs.promises.stat(local).then(s => s.size, () => null)
    if (size === null) return false
    await to.write(hash, local, size)
    return true
  }
  const file = path.join(staging, `copy.${hash}.${randomBytes(6).toString('hex')}`)
  try {
    await pipeline(await from.read(hash), fs.createWriteStream(file))
    await to.write(hash, file, (await fs.promises.stat(file)).size)
    return true
  } catch (err) {
    if (err instanceof PayloadMissingError) return false
    throw err
  } finally {
    await fs.promises.rm(file, { force: true })
  }
}
