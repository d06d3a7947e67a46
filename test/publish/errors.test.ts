/**
 * publish-errors.jsonl: the publication error cases, with the reference's
 * statuses and messages.
 */
import t from 'tap'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { exchanges } from '../helpers/golden.js'
import { errorMessage, request } from '../helpers/http.js'
import { replayTrace } from '../helpers/replay.js'

const { depot, token: sign } = await startPublishingDepot(t, { publishers: [['test', true]] })
const token = await sign({ depot_publishers: ['test', 'newpub.example'] })
const results = await replayTrace(depot.port, exchanges('publish-errors.jsonl'), token)

for (const { x, res } of results) {
  const name = `${x.trace ?? ''}: ${x.request.method} ${x.request.path.slice(0, 60)}`
  if (x.trace === 'abandon-malformed-id') {
    t.equal(res.status, 400, `${name}: a malformed id is a bad request, not a 500`)
    t.match(errorMessage(res.body), /^No transaction matching '.+' could be found\.$/, `${name}: pkg5's message for an unknown transaction`)
    continue
  }
  t.equal(res.status, x.response.status, `${name}: status`)
  const volatile = (m: string | undefined): string | undefined => m?.replace(/[0-9]{8}T[0-9]{6}Z/g, 'TIMESTAMP').replace(/[0-9]{10}_/g, 'EPOCH_')
  if (x.response.status === 400) t.equal(volatile(errorMessage(res.body)), volatile(x.response.error_message), `${name}: message`)
}

t.test('a publisher created by open is served at once', async t => {
  const attrs = await request(depot.port, 'GET', '/newpub.example/catalog/1/catalog.attrs')
  t.equal(attrs.status, 200, 'no restart needed (pkg.depotd answers 400 Unknown publisher until restarted)')
})
