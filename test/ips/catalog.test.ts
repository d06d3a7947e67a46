import t from 'tap'
import { assemblePart, buildPart, type CatalogFormat, partFragment, verifyCatalogFile, type VersionEntry } from '../../src/ips/catalog.js'
import { compareCodePoints } from '../../src/ips/canonical-json.js'

const entries: VersionEntry[] = [
  { stem: 'web/server/nginx', version: '1.24.0,5.11-2024.0.0.1:20240101T000000Z', entry: { 'signature-sha-1': 'a'.repeat(40) } },
  { stem: 'web/server/nginx', version: '1.9.0,5.11-2024.0.0.1:20230101T000000Z', entry: { 'signature-sha-1': 'b'.repeat(40) } },
  { stem: 'library/zlib', version: '1.3,5.11-2024.0.0.0:20240101T000000Z', entry: { 'signature-sha-1': 'c'.repeat(40) } },
  { stem: 'locale/é', version: '1.0:20240101T000000Z', entry: { actions: ['set name=pkg.summary value="Ünïcode 😀"'] } },
  { stem: 'text/😀emoji', version: '1.0:20240101T000000Z', entry: { actions: [] } },
  { stem: 'text/\uffefbom', version: '1.0:20240101T000000Z', entry: { actions: [] } }
]

function fragments (list: readonly VersionEntry[], format: CatalogFormat): string[] {
  const byStem = new Map<string, VersionEntry[]>()
  for (const e of list) byStem.set(e.stem, [...(byStem.get(e.stem) ?? []), e])
  return [...byStem.keys()].sort(compareCodePoints).map(stem => partFragment(stem, byStem.get(stem)!, format))
}

// Publisher names on both sides of "_FEATURE" in code-point order: the utf8
// format's feature member goes before or after the publisher's.
for (const format of ['legacy', 'utf8'] as const) {
  for (const publisher of ['Acme', 'openindiana.org', 'omnios', '_a']) {
    t.test(`a part assembled from fragments is the built part (${format}, ${publisher})`, async t => {
      const built = buildPart(publisher, entries, format)
      const assembled = assemblePart(publisher, fragments(entries, format), format)
      t.equal(assembled.bytes.toString('utf8'), built.bytes.toString('utf8'))
      t.equal(assembled.signature, built.signature)
      t.equal(verifyCatalogFile(assembled.bytes).signature, built.signature, 'the client accepts the signature')
    })
  }
  t.test(`an empty part (${format})`, async t => {
    const built = buildPart('acme', [], format)
    const assembled = assemblePart('acme', [], format)
    t.equal(assembled.bytes.toString('utf8'), built.bytes.toString('utf8'))
    t.equal(verifyCatalogFile(assembled.bytes).signature, assembled.signature)
  })
}
