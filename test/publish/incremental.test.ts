/**
 * Publishing into an imported copy of the golden repository: a client that
 * holds the imported catalog refreshes incrementally — it fetches only the
 * new hour's update log, and applying it reproduces exactly the new parts.
 */
import path from 'node:path'
import t from 'tap'
import { fetchCatalog, partSignature, refreshIncrementally } from '../helpers/client-catalog.js'
import { GOLDEN } from '../helpers/depot.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { exchanges } from '../helpers/golden.js'
import { replayTrace } from '../helpers/replay.js'

const { depot, token: sign } = await startPublishingDepot(t, { source: path.join(GOLDEN, 'repo') })

t.test('the update log after a publish replays onto the imported parts', async t => {
  const old = await fetchCatalog(depot.port, 'test')
  const token = await sign()
  const trace = exchanges('publish-pkgsend-upload.jsonl').filter(x => x.trace === 'publish-lib' || x.trace === 'publish-obsolete')
  for (const { x, res } of await replayTrace(depot.port, trace, token)) {
    if (x.request.method !== 'HEAD') t.equal(res.status, x.response.status, `${x.request.method} ${x.request.path.slice(0, 50)}`)
  }
  const neu = await fetchCatalog(depot.port, 'test')
  t.equal(neu.attrs.created, old.attrs.created)
  t.equal(neu.attrs['package-version-count'], (old.attrs['package-version-count'] as number) + 2)
  const { parts, logs } = refreshIncrementally(old, neu, 'test')
  t.equal(logs.length, 1, `only the new hour's log: ${logs.join(', ')}`)
  for (const [name, part] of parts) {
    t.equal(partSignature('test', part), (neu.attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `${name} matches the new catalog.attrs`)
  }
  const oldParts = old.attrs.parts as Record<string, { 'last-modified': string }>
  const untouched = Object.entries(neu.attrs.parts as Record<string, { 'last-modified': string }>).filter(([n, s]) => oldParts[n]?.['last-modified'] === s['last-modified']).map(([n]) => n)
  t.ok(untouched.includes('catalog.summary.fr'), 'parts the publish did not touch keep their last-modified')
})
