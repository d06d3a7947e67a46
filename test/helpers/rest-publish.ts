/** One REST publish (POST /api/v1/publishers/<p>/packages): a manifest and the payloads it names by SHA-1. */
import { createHash } from 'node:crypto'

export const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')

export async function restPublish (url: string, token: string, publisher: string, manifest: string, payloads: readonly Buffer[] = []): Promise<{ status: number, fmri?: string, detail?: string }> {
  const form = new FormData()
  form.append('manifest', manifest)
  for (const p of payloads) form.append(sha1(p), new Blob([new Uint8Array(p)]), sha1(p))
  const res = await fetch(`${url}/api/v1/publishers/${publisher}/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: res.status, ...(await res.json() as { fmri?: string, detail?: string }) }
}
