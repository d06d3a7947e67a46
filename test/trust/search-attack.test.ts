/**
 * One stranger cannot take search away from everyone else. Eight
 * connections from one address loop the worst queries we know (globs that
 * backtracked, a union of twenty '*', a phrase of globs) while another
 * address searches for a plain term. The depot runs one search worker, so
 * nothing but linear-time matching, bounded work per query and the
 * client's own queue keeps the plain searches quick: break any of the
 * three and they wait seconds or fail.
 */
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { clientAt } from '../helpers/http.js'

const depot = await startDepot({ extraConfig: '[search]\nworkers = 1\ntime_budget_ms = 5000\n' })
t.teardown(() => depot.close())
await depot.app.depot.search.warm()

const ATTACKS = [
  '*?*?*?*?*?*?*?*?!',
  '*?*?*?*?*?!',
  Array(20).fill('*').join(' OR '),
  "'*e* *o* *l* *?*?*?!'",
  '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b AND *?*?*?*?*?*?*?*?!',
  '<*?*?*?*?*?*?*?*?! OR *>'
]
const url = (q: string): string => `/test/search/1/False_2_None_None_${encodeURIComponent(q)}`
const ATTACK_MS = 4000

t.test('a plain search answers within a second while one address floods the worst queries', async t => {
  const attacker = clientAt('127.0.0.2')
  const visitor = clientAt('127.0.0.3')
  const until = Date.now() + ATTACK_MS
  const attackStatuses = new Map<number, number>()
  const loops = Array.from({ length: 8 }, async (_, i) => {
    for (let n = i; Date.now() < until; n++) {
      // Every attacker request gets an answer (results or a refusal): a dropped connection fails the test.
      const res = await attacker(depot.port, 'GET', url(ATTACKS[n % ATTACKS.length]!))
      attackStatuses.set(res.status, (attackStatuses.get(res.status) ?? 0) + 1)
    }
  })
  const waits: number[] = []
  const statuses: number[] = []
  const lines = new Set<number>()
  const plain = (async () => {
    while (Date.now() < until) {
      const start = performance.now()
      const res = await visitor(depot.port, 'GET', url('hello'))
      waits.push(performance.now() - start)
      statuses.push(res.status)
      lines.add(res.body.toString().split('\n').length)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })()
  await Promise.all([...loops, plain])
  const attacks = [...attackStatuses.values()].reduce((a, b) => a + b, 0)
  t.ok(attacks >= 8, `the attacker was answered ${attacks} times: ${JSON.stringify(Object.fromEntries(attackStatuses))}`)
  t.ok([...attackStatuses.keys()].every(s => [200, 204, 422, 429].includes(s)), 'each attack got its results or a refusal of its own')
  t.ok(statuses.length >= 10, `${statuses.length} plain searches`)
  t.ok(statuses.every(s => s === 200), 'every plain search answered 200')
  t.equal(lines.size, 1, 'with the same lines each time')
  const worst = Math.max(...waits)
  t.ok(worst < 1000, `the slowest plain search took ${worst.toFixed(0)} ms`)
})

t.test('no attack ran into the time budget: every one was bounded by its work', async t => {
  t.equal(depot.app.depot.search.refusals.too_long, 0, JSON.stringify(depot.app.depot.search.refusals))
})
