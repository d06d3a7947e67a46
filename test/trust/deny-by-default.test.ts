/**
 * Deny by default, structurally: a handler with no access rule is a read,
 * and the operation table refuses to build with one outside the reads the
 * protocol defines. Every write the table offers declares its permission.
 */
import t from 'tap'
import { checkDenyByDefault, operationTable, PROTOCOL_READS, UnguardedWriteError } from '../../src/http/depot/routes.js'
import { guarded, METHODS, type OpVersion } from '../../src/http/depot/context.js'

const noop = async (): Promise<unknown> => undefined

t.test('the shipped tables build: every handler is a protocol read or declares its access', async t => {
  for (const writable of [false, true]) {
    const ops = operationTable(writable)
    for (const [op, versions] of ops) {
      for (const [version, handlers] of versions) {
        for (const m of METHODS) {
          const h = handlers[m]
          if (h === undefined) continue
          const key = `${op}/${version}/${m}`
          t.ok(PROTOCOL_READS.has(key) !== (h.access !== undefined), `${key} (${writable ? 'writable' : 'read-only'}): ${h.access ? 'guarded' : 'read'}`)
        }
      }
    }
  }
  t.notOk(operationTable(false).has('open'), 'a read-only depot offers no write at all')
})

t.test('a write added without a permission stops the table from building', async t => {
  const withOp = (op: string, versions: Map<number, OpVersion>): Map<string, ReadonlyMap<number, OpVersion>> => new Map([...operationTable(true), [op, versions]])
  t.throws(() => { checkDenyByDefault(withOp('delete', new Map([[0, { POST: noop }]]))) }, UnguardedWriteError, 'a new op')
  t.throws(() => { checkDenyByDefault(withOp('catalog', new Map([[1, { GET: noop, PUT: noop }]]))) }, UnguardedWriteError, 'a new method on a read op')
  t.throws(() => { checkDenyByDefault(withOp('manifest', new Map([[2, { GET: noop }]]))) }, UnguardedWriteError, 'a version the protocol does not define')
  t.doesNotThrow(() => { checkDenyByDefault(withOp('delete', new Map([[0, { POST: guarded(() => ({ publisher: null, action: 'rebuild' }), noop) }]]))) }, 'with an access rule it builds')
})
