/**
 * server.public_url: the depot's URL in the pages and the feed is the one
 * the operator configured, whatever Host a request names; without it, the
 * request's Host (the README says so).
 */
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

const evil = { Host: 'evil.example:666' }

t.test('with server.public_url, a stranger\'s Host header reaches no page and no feed', async t => {
  const depot = await startDepot({ publicUrl: 'https://pkg.example.org/depot/' })
  t.teardown(() => depot.close())
  const home = (await request(depot.port, 'GET', '/', evil)).body.toString()
  t.match(home, 'pkg set-publisher -g https://pkg.example.org/depot/ test', 'the install line names the configured URL')
  t.notMatch(home, 'evil.example')
  const feed = (await request(depot.port, 'GET', '/feed', evil)).body.toString()
  t.match(feed, /<id>tag:pkg\.example\.org,\d{4}-\d{2}-\d{2}:\/feed<\/id>/, 'the feed id names the configured host')
  t.notMatch(feed, 'evil.example')
})

t.test('without it, the request\'s Host is the depot\'s URL', async t => {
  const depot = await startDepot()
  t.teardown(() => depot.close())
  t.match((await request(depot.port, 'GET', '/', { Host: 'mirror.example:8080' })).body.toString(), 'pkg set-publisher -g http://mirror.example:8080/ test')
})
