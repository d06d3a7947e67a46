/**
 * Removals beside publishes: a DELETE waits for the write lock as a publish
 * does, and is never answered 503 "busy with another write" when no rebuild
 * or import runs. (A deferred transaction that read before the catalog
 * worker's seal committed could not take the lock afterwards, and failed at
 * once with SQLITE_BUSY: 2 of 248 removals once.)
 */
import t from 'tap'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish } from '../helpers/rest-publish.js'

const ROUNDS = 80
const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]] })
const bearer = await token({ scope: 'depot:publish depot:remove' })
const publish = async (stem: string): Promise<{ status: number, fmri?: string, detail?: string }> =>
  await restPublish(depot.url, bearer, 'test', `set name=pkg.fmri value=${stem}@1.0\nset name=pkg.summary value="${stem}"\n`)

t.test('removals and publishes side by side: every one answered 200 or 201', async t => {
  const first: string[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const res = await publish(`beside/old${i}`)
    if (res.status !== 201) throw new Error(`setup publish ${i}: ${res.status} ${res.detail ?? ''}`)
    first.push(res.fmri!.replace('pkg://test/', ''))
  }
  const refused: string[] = []
  // Four publishers at once: the catalog worker seals all the while.
  const publishes = Promise.all(Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; i < ROUNDS / 4; i++) {
      const res = await publish(`beside/new${w}-${i}`)
      if (res.status !== 201) refused.push(`publish ${w}-${i}: ${res.status} ${res.detail ?? ''}`)
    }
  }))
  const removals = (async () => {
    for (const fmri of first) {
      const res = await fetch(`${depot.url}/api/v1/publishers/test/packages/${encodeURIComponent(fmri)}`, { method: 'DELETE', headers: { authorization: `Bearer ${bearer}` } })
      if (res.status !== 200) refused.push(`DELETE ${fmri}: ${res.status} ${await res.text()}`)
    }
  })()
  await Promise.all([publishes, removals])
  t.same(refused, [], `${ROUNDS} removals beside ${ROUNDS} publishes from four clients`)
})
