import t from 'tap'
import { parseManifest } from '../../src/ips/manifest.js'
import { packageFacts } from '../../src/ips/package-facts.js'

const facts = (text: string): ReturnType<typeof packageFacts> => packageFacts(parseManifest(text))

t.test('metadata: the first summary (pkg.summary, else description), URLs, classifications, flags, the installed size', async t => {
  const f = facts([
    'set name=description value="old style"',
    'set name=pkg.summary value="new style"',
    'set name=pkg.description value="A longer text."',
    'set name=info.classification value=org.opensolaris.category.2008:System/Core value=org.opensolaris.category.2008:Development/C',
    'set name=info.upstream-url value=https://example.com/',
    'set name=info.source-url value=https://example.com/src.tar.gz',
    'set name=pkg.human-version value=2.0-rc1',
    'file 0cdf86295978a9260d89b51ef6e86748363dd3e2 path=usr/bin/b mode=0555 owner=root group=bin pkg.size=10',
    'file 0cdf86295978a9260d89b51ef6e86748363dd3e2 path=usr/bin/a mode=0555 owner=root group=bin pkg.size=32'
  ].join('\n'))
  t.equal(f.summary, 'new style')
  t.equal(f.description, 'A longer text.')
  t.same(f.classifications, ['org.opensolaris.category.2008:System/Core', 'org.opensolaris.category.2008:Development/C'])
  t.equal(f.upstreamUrl, 'https://example.com/')
  t.equal(f.sourceUrl, 'https://example.com/src.tar.gz')
  t.equal(f.humanVersion, '2.0-rc1')
  t.equal(f.size, 42)
  t.same(f.contents.map(c => c.path), ['usr/bin/a', 'usr/bin/b'], 'contents sorted by path')
  t.equal(f.obsolete, false)
  t.equal(facts('set name=description value="only this"\n').summary, 'only this', 'description stands in for a missing pkg.summary')
  t.equal(facts('set name=pkg.obsolete value=true\n').obsolete, true)
  t.equal(facts('set name=pkg.renamed value=true\n').renamed, true)
  t.equal(facts('set name=pkg.obsolete value=false\n').obsolete, false)
})

t.test('dependencies: grouped by type in pkg(5)\'s order, each FMRI of a require-any, publisher and minimum version read', async t => {
  const f = facts([
    'depend fmri=pkg:/z/last@1 type=exclude',
    'depend fmri=b/two type=require',
    'depend fmri=pkg://other.org/c/three@2.0,5.11-0.1 type=require',
    'depend fmri=x/one@1.0 fmri=x/two@2.0 type=require-any',
    'depend fmri=y/odd type=made-up',
    'depend fmri=g/group type=group'
  ].join('\n'))
  t.same(f.dependencies.map(d => d.type), ['require', 'require-any', 'group', 'exclude', 'made-up'])
  t.same(f.dependencies[0]!.entries, [
    { type: 'require', fmri: 'b/two', publisher: null, stem: 'b/two', minimum: null },
    { type: 'require', fmri: 'pkg://other.org/c/three@2.0,5.11-0.1', publisher: 'other.org', stem: 'c/three', minimum: '2.0,5.11-0.1' }
  ])
  t.same(f.dependencies[1]!.entries.map(e => e.stem), ['x/one', 'x/two'], 'every FMRI of a require-any')
  t.equal(facts('depend fmri="not an fmri!" type=require\n').dependencies[0]!.entries[0]!.stem, null, 'an FMRI that does not parse is kept as written, unlinked')
})

t.test('contents and licences: files, directories, links with their targets; licences by name and payload', async t => {
  const f = facts([
    'dir path=etc mode=0755 owner=root group=sys',
    'link path=usr/lib/libz.so target=libz.so.1',
    'hardlink path=usr/bin/x target=y',
    'license c3f55f1297c7945a8f0149c86eb5e307f633916a license=MIT',
    'group groupname=staff gid=10'
  ].join('\n'))
  t.same(f.contents, [
    { type: 'dir', path: 'etc', mode: '0755', owner: 'root', group: 'sys', size: null, target: null },
    { type: 'hardlink', path: 'usr/bin/x', mode: null, owner: null, group: null, size: null, target: 'y' },
    { type: 'link', path: 'usr/lib/libz.so', mode: null, owner: null, group: null, size: null, target: 'libz.so.1' }
  ])
  t.same(f.licenses, [{ name: 'MIT', hash: 'c3f55f1297c7945a8f0149c86eb5e307f633916a' }])
})
