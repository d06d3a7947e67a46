import t from 'tap'
import { parseAction } from '../../src/ips/action.js'
import { indexEntries, matchLabel } from '../../src/ips/search-tokens.js'
import { lex, parseQuery, parseQueryString, toPackages } from '../../src/ips/search-query.js'

t.test('query strings: five fields, pkg5 wording, 404 for bad fields', async t => {
  t.same(parseQueryString('False_2_None_None_a_b c'), { caseSensitive: false, returnType: 2, numToReturn: null, startPoint: null, text: 'a_b c' })
  t.same(parseQueryString('True_1_5_10_x'), { caseSensitive: true, returnType: 1, numToReturn: 5, startPoint: 10, text: 'x' })
  t.throws(() => parseQueryString('foo'), { status: 404, message: /^A query is expected to have five fields/ })
  t.throws(() => parseQueryString('FAlse_2_None_None_foo'), { status: 404, message: "In query FAlse_2_None_None_foo, case_sensitive had a bad value of 'FAlse'." })
  t.throws(() => parseQueryString('False_3_None_None_foo'), { status: 404, message: /return_type had a bad value of '3'/ })
  t.throws(() => parseQueryString('False_2__None_foo'), { status: 404, message: /num_to_return had a bad value of ''/ })
  t.throws(() => parseQueryString('False_2_None_x_foo'), { status: 404, message: /start_point had a bad value of 'x'/ })
  t.throws(() => parseQueryString('False_2_None_None_' + 'a'.repeat(5000)), { status: 400, message: /longer than 4096 characters/ })
  t.throws(() => parseQueryString('False_2_None_None_' + Array(101).fill('a').join(' ')), { status: 400, message: /101, which exceeds the maximum supported value of 100 terms/ })
})

t.test('the lexer splits field terms at unescaped colons', async t => {
  t.same(lex('pkg:file:path:/usr/bin')[0]!.value, { pkg: 'pkg', actionType: 'file', key: 'path', token: '/usr/bin' })
  t.same(lex(':depend::example/lib@1.0')[0]!.value, { pkg: '', actionType: 'depend', key: '', token: 'example/lib@1.0' })
  t.same(lex('a\\:b')[0], { type: 'TERM', value: 'a:b', pos: 0 }, 'an escaped colon is part of the term')
  t.same(lex('pkgs<x>').map(x => x.type), ['LBRACE', 'TERM', 'RBRACE'])
  t.same(lex('(a OR b) AND "c d"').map(x => x.type), ['LPAREN', 'TERM', 'OR', 'TERM', 'RPAREN', 'AND', 'QUOTE2', 'TERM', 'TERM', 'QUOTE2'])
})

t.test('the grammar', async t => {
  t.same(parseQuery('a b'), { kind: 'and', left: { kind: 'term', term: 'a', fields: { pkg: null, actionType: null, key: null } }, right: { kind: 'term', term: 'b', fields: { pkg: null, actionType: null, key: null } } })
  t.match(parseQuery(':file::'), { kind: 'term', term: '*', fields: { actionType: 'file' } }, 'an empty token means every token')
  t.match(parseQuery('a AND b OR c'), { kind: 'and', right: { kind: 'or' } }, 'AND and OR are right-associative')
  t.match(parseQuery("'x y'"), { kind: 'phrase', words: ['x', 'y'] })
  t.match(toPackages(parseQuery('a OR b')), { kind: 'or', left: { kind: 'pkgs' }, right: { kind: 'pkgs' } })
  for (const bad of ['', '(a', 'a AND', 'Intel(R)', 'a )']) t.throws(() => parseQuery(bad), { status: 400, message: /^Could not parse query\./ }, JSON.stringify(bad))
  t.throws(() => parseQuery('foo <bar>'), { status: 400, message: /^This expression produces action results:\n\t:::foo\nThis expression produces package results:\n\tp<:::bar>/ })
})

t.test('index entries follow pkg5 generate_indices', async t => {
  const e = (line: string): Array<[string, string, string | null]> => indexEntries(parseAction(line)).map(x => [x.key, x.token, x.fullValue])
  t.same(e('set name=pkg.summary value="Hello example package"'), [['pkg.summary', 'Hello', 'Hello example package'], ['pkg.summary', 'example', 'Hello example package'], ['pkg.summary', 'package', 'Hello example package']])
  t.same(e('set name=variant.arch value=i386 value=sparc'), [['variant.arch', 'i386', null], ['variant.arch', 'sparc', null]])
  t.same(e('set name=info.classification value=org.opensolaris.category.2008:Applications/Accessories').map(x => x[1]), ['Applications/Accessories', 'Applications', 'Accessories'])
  t.same(e('set name=pkg.fmri value=pkg://test/a/b@1.0,5.11-0.1:20261123T001653Z').map(x => x[1]), ['test/a/b', '5.11', '1.0', '20261123T001653Z', 'b', 'a/b'])
  t.same(e('depend fmri=pkg:/a/b@1.0 fmri=pkg://p/c type=require-any'), [['require-any', 'a/b@1.0', null], ['require-any', 'a/b', null], ['require-any', 'c', null]], 'scheme and publisher are stripped')
  t.same(e('dir path=usr/share/hello/ mode=0755 owner=root group=bin'), [['basename', 'hello', null], ['path', '/usr/share/hello/', null]])
  t.equal(matchLabel('file', { key: 'basename', token: 'x', fullValue: null }), 'basename')
  t.equal(matchLabel('set', { key: 'variant.arch', token: 'sparc', fullValue: null }), 'sparc')
})
