/**
 * The web face: server-rendered pages (no script at all, so the CSP allows
 * none), the Atom feed and the stylesheet. Each page is sent as an entity
 * with an ETag of its bytes (304 on a match) and zstd/gzip like the rest
 * of the text. Paths whose first segment is a pkg(5) operation belong to
 * the protocol, and are answered as it answers them.
 */
import { createHash } from 'node:crypto'
import zlib from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DepotError, NotFoundError } from '../../errors.js'
import { parseManifest } from '../../ips/manifest.js'
import { packageFacts } from '../../ips/package-facts.js'
import { parseQueryString } from '../../ips/search-query.js'
import { safeDecode } from '../../ips/quote.js'
import { ByteLru } from '../../lru.js'
import { Browse, type StemQuery } from '../../store/browse.js'
import { PayloadMissingError } from '../../store/payload-store.js'
import { allLines } from '../../store/search-pool.js'
import { publicationsOf } from '../../store/provenance.js'
import type { DepotServices } from '../depot/context.js'
import { KNOWN_OPS } from '../depot/request-path.js'
import { type OpTable, resolveOp } from '../depot/routes.js'
import { sendEntity } from '../entity.js'
import { atomFeed, type FeedChange } from './feed.js'
import type { Html } from './html.js'
import { overviewPage } from './pages/overview.js'
import { packagePage } from './pages/package.js'
import { publisherPage } from './pages/publisher.js'
import { fieldQuery, groupResults, type PublisherResults, RESULTS_PER_PAGE, type SearchForm, searchPage } from './pages/search.js'
import { ICON, STYLESHEET } from './style.js'
import { urls } from './urls.js'

export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
const STEMS_PER_PAGE = 50
const FEED_ENTRIES = 50
const DEPENDENTS_SHOWN = 200
const CONTENTS_SHOWN = 2000
const MAX_MANIFEST_SHOWN = 1024 * 1024
const MAX_LICENSE_SHOWN = 256 * 1024

const etagOf = (body: Buffer): string => createHash('sha1').update(body).digest('hex').slice(0, 27)

export async function webPages (app: FastifyInstance, opts: { depot: DepotServices, ops: OpTable }): Promise<void> {
  const { depot, ops } = opts
  const repo = depot.repo
  const browse = new Browse(repo.db)

  const send = async (req: FastifyRequest, reply: FastifyReply, contentType: string, body: Buffer, headers: Record<string, string> = {}): Promise<FastifyReply> =>
    await sendEntity(req, reply, { contentType, cacheControl: 'no-cache', etag: etagOf(body), body, compressible: true, headers }, depot.encoder)
  const HTML = 'text/html; charset=utf-8'
  const ATOM = 'application/atom+xml; charset=utf-8'
  const sendAs = async (req: FastifyRequest, reply: FastifyReply, contentType: string, body: Buffer): Promise<FastifyReply> =>
    await send(req, reply, contentType, body, contentType === HTML ? { 'Content-Security-Policy': PAGE_CSP } : {})

  /**
   * A page (or the feed) is a function of the URL, the Host it names in its
   * text, and the repository's state: rendered bodies are kept under the
   * repository's generation, which every write changes, so a popular page
   * is rendered once per change, not once per request. The pages have a
   * cache of their own (an eighth of cache.memory_bytes): URLs anyone can
   * vary must not evict the catalog's encoded bodies.
   */
  const pages = new ByteLru<Buffer>(Math.floor(depot.config.cache.memoryBytes / 8))
  // The depot's URL in page text and the feed: server.public_url when set, never a Host header a stranger chose.
  const publicUrl = depot.config.server.publicUrl
  const originOf = (req: FastifyRequest): string => publicUrl ?? `${req.protocol}://${req.host}`
  const feedHost = (req: FastifyRequest): string => publicUrl !== null ? new URL(publicUrl).hostname : /^[A-Za-z0-9.-]{1,253}$/.test(req.hostname) ? req.hostname : 'localhost'
  const cached = async (req: FastifyRequest, reply: FastifyReply, contentType: string, render: () => Promise<string>): Promise<FastifyReply> => {
    const key = `${repo.generation()}:${publicUrl === null ? req.host : ''}:${req.url}`
    const hit = pages.get(key)
    if (hit !== undefined) return await sendAs(req, reply, contentType, hit)
    const body = Buffer.from(await render())
    if (reply.statusCode === 200) pages.set(key, body)
    return await sendAs(req, reply, contentType, body)
  }
  const cachedPage = async (req: FastifyRequest, reply: FastifyReply, render: () => Promise<Html>): Promise<FastifyReply> =>
    await cached(req, reply, HTML, async () => (await render()).text)

  const publisherOf = (req: FastifyRequest): string => {
    const name = (req.params as { publisher: string }).publisher
    if (!repo.hasPublisher(name)) throw new NotFoundError(`This repository has no publisher named ${name}.`)
    return name
  }

  // /<op>/packages and the like were protocol paths before there were pages: they keep the protocol's answer.
  app.addHook('onRequest', async req => {
    const pub = (req.params as { publisher?: string }).publisher
    if (pub !== undefined && KNOWN_OPS.has(pub)) {
      resolveOp(ops, depot, req.method, req.raw.url ?? '/')
      throw new NotFoundError(`The path '${req.raw.url ?? ''}' was not found.`)
    }
  })

  // pkg.depotd's browser UI lived under /en/ (and /<p>/en/): its pages move here, for old links and bookmarks.
  const OLD_PAGES: Record<string, (pub: string | null, q: URLSearchParams) => string> = {
    'index.shtml': () => urls.home,
    'stats.shtml': () => urls.home,
    'catalog.shtml': pub => pub === null ? urls.home : urls.publisher(pub),
    'search.shtml': (pub, q) => urls.search(pub, q.get('token') === null ? '' : new URLSearchParams({ q: q.get('token')! }).toString()),
    'advanced_search.shtml': pub => urls.search(pub)
  }
  const moved = async (req: FastifyRequest, reply: FastifyReply, pub: string | null): Promise<FastifyReply> => {
    const url = req.raw.url ?? ''
    const q = url.indexOf('?')
    const name = (q === -1 ? url : url.slice(0, q)).split('/').pop() ?? ''
    const target = Object.hasOwn(OLD_PAGES, name) ? OLD_PAGES[name]! : undefined
    if (target === undefined) throw new NotFoundError('pkg.depotd\'s browser pages are not served here; the pages start at /.')
    return await reply.code(301).header('Location', target(pub ?? repo.defaultPublisher, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)))).send()
  }
  app.get('/en/*', async (req, reply) => await moved(req, reply, null))
  app.get('/:publisher/en/*', async (req, reply) => await moved(req, reply, publisherOf(req)))

  const css = Buffer.from(STYLESHEET)
  const icon = Buffer.from(ICON)
  app.get('/static/depot.css', async (req, reply) => await send(req, reply, 'text/css; charset=utf-8', css))
  app.get('/static/icon.svg', async (req, reply) => await send(req, reply, 'image/svg+xml', icon))

  app.get('/', async (req, reply) => await cachedPage(req, reply, async () => {
    const defaultPub = repo.defaultPublisher
    const publishers = await Promise.all(repo.publishers().map(async p => ({
      name: p.name, ...(await repo.counts(p.name)), lastModified: Number(p.catalogLastModified / 1000n), isDefault: p.name === defaultPub
    })))
    return overviewPage(originOf(req), publishers)
  }))

  const stemQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', maxLength: 200, default: '' },
      obsolete: { type: 'string', enum: ['1', 'on', ''], default: '' },
      renamed: { type: 'string', enum: ['1', 'on', ''], default: '' },
      sort: { type: 'string', enum: ['name', 'published'], default: 'name' },
      after: { type: 'string', maxLength: 1024, default: '' },
      offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 }
    }
  } as const
  app.get<{ Params: { publisher: string }, Querystring: { name: string, obsolete: string, renamed: string, sort: 'name' | 'published', after: string, offset: number } }>('/:publisher/packages', {
    schema: { querystring: stemQuery }
  }, async (req, reply) => {
    const publisher = publisherOf(req)
    const qs = req.query
    const q: StemQuery = { name: qs.name, obsolete: qs.obsolete !== '', renamed: qs.renamed !== '', sort: qs.sort, after: qs.after, offset: qs.offset, limit: STEMS_PER_PAGE }
    return await cachedPage(req, reply, async () => publisherPage(publisher, await repo.counts(publisher), q, browse.stems(publisher, q)))
  })

  app.get<{ Params: { publisher: string }, Querystring: { version?: string } }>('/:publisher/package/*', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'string', maxLength: 1024 } } } }
  }, async (req, reply) => {
    const publisher = publisherOf(req)
    return await cachedPage(req, reply, async () => await renderPackage(req.raw.url ?? '', publisher, req.query.version))
  })

  const renderPackage = async (url: string, publisher: string, version: string | undefined): Promise<Html> => {
    const raw = url.split('?')[0]!
    const stem = raw.split('/').slice(3).map(safeDecode).join('/')
    const versions = browse.versions(publisher, stem)
    if (versions.length === 0) throw new NotFoundError(`${publisher} has no package ${stem}.`)
    const selected = version ?? versions[0]!.version
    const stored = repo.manifest(publisher, stem, selected)
    if (stored === undefined || !versions.some(v => v.version === selected)) throw new NotFoundError(`${publisher} has no version ${selected} of ${stem}.`)
    const text = stored.body.toString('utf8')
    const facts = packageFacts(parseManifest(text))
    const licenses = await Promise.all(facts.licenses.map(async l => ({ name: l.name, text: l.hash === null ? null : await licenseText(depot, publisher, l.hash) })))
    return packagePage({
      publisher,
      stem,
      versions,
      selected,
      manifest: text.length > MAX_MANIFEST_SHOWN ? text.slice(0, MAX_MANIFEST_SHOWN) : text,
      manifestTruncated: text.length > MAX_MANIFEST_SHOWN,
      facts,
      dependents: browse.dependents(publisher, stem, DEPENDENTS_SHOWN),
      dependentsLimit: DEPENDENTS_SHOWN,
      publications: publicationsOf(repo.db, publisher, stem, selected),
      licenses,
      publishers: new Set(repo.publisherNames()),
      contentsLimit: CONTENTS_SHOWN,
      githubIssuer: iss => depot.config.auth?.issuers.some(i => i.issuer === iss && i.provenanceLinks === 'github') ?? false
    })
  }

  const searchQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      q: { type: 'string', maxLength: 4096, default: '' },
      case: { type: 'string', enum: ['1', 'on', ''], default: '' },
      start: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
      pkg: { type: 'string', maxLength: 200, default: '' },
      type: { type: 'string', maxLength: 40, default: '' },
      key: { type: 'string', maxLength: 200, default: '' },
      token: { type: 'string', maxLength: 1000, default: '' }
    }
  } as const
  type SearchQs = { q: string, case: string, start: number, pkg: string, type: string, key: string, token: string }
  const search = async (req: FastifyRequest<{ Querystring: SearchQs }>, reply: FastifyReply, publisher: string | null): Promise<FastifyReply> => {
    const qs = req.query
    const form: SearchForm = { q: qs.q, caseSensitive: qs.case !== '', start: qs.start, pkg: qs.pkg, actionType: qs.type, key: qs.key, token: qs.token }
    const f = form.q === '' && form.token !== '' ? { ...form, q: fieldQuery(form) } : form
    if (f.q.trim() === '') return await sendAs(req, reply, HTML, Buffer.from(searchPage(publisher, f, null, null).text))
    return await cachedPage(req, reply, async () => await searchResults(req, reply, publisher, f))
  }
  const searchResults = async (req: FastifyRequest, reply: FastifyReply, publisher: string | null, f: SearchForm): Promise<Html> => {
    let results: PublisherResults[]
    try {
      const spec = parseQueryString(`${f.caseSensitive ? 'True' : 'False'}_2_${RESULTS_PER_PAGE + 1}_${f.start}_${f.q}`)
      const pubs = publisher === null ? repo.publisherNames() : [publisher]
      results = await Promise.all(pubs.map(async p => {
        const lines = await allLines(depot.search.search(req.ip, p, [spec]))
        return { publisher: p, packages: groupResults(lines.slice(0, RESULTS_PER_PAGE)).packages, more: lines.length > RESULTS_PER_PAGE }
      }))
    } catch (err) {
      if (!(err instanceof DepotError) || err.status !== 400) throw err
      reply.code(400)
      return searchPage(publisher, f, null, err.message)
    }
    return searchPage(publisher, f, results, null)
  }
  app.get<{ Querystring: SearchQs }>('/find', { schema: { querystring: searchQuery } }, async (req, reply) => await search(req, reply, null))
  app.get<{ Params: { publisher: string }, Querystring: SearchQs }>('/:publisher/find', { schema: { querystring: searchQuery } }, async (req, reply) => await search(req, reply, publisherOf(req)))

  const feed = async (req: FastifyRequest, reply: FastifyReply, publisher: string | null): Promise<FastifyReply> => await cached(req, reply, ATOM, async () => {
    const changes: FeedChange[] = browse.changes(publisher, FEED_ENTRIES).map(c => ({ ...c, at: c.at / 1000 }))
    const infos = repo.publishers().filter(p => publisher === null || p.name === publisher)
    const lastModified = Math.max(0, ...infos.map(p => Number(p.catalogLastModified / 1000n)))
    const created = Math.min(...infos.map(p => Number(p.catalogCreated / 1000n)), Date.now())
    return atomFeed({ publisher, feedId: `tag:${feedHost(req)},${new Date(created).toISOString().slice(0, 10)}:${publisher === null ? '' : `/${publisher}`}/feed`, updated: lastModified, changes })
  })
  app.get('/feed', async (req, reply) => await feed(req, reply, null))
  app.get<{ Params: { publisher: string } }>('/:publisher/feed', async (req, reply) => await feed(req, reply, publisherOf(req)))
}

/** A licence's text for the page, or null when its payload is not in this repository. */
async function licenseText (depot: DepotServices, publisher: string, hash: string): Promise<string | null> {
  const p = depot.repo.payload(publisher, hash) ?? depot.repo.payload(null, hash)
  if (p === undefined) return null
  try {
    return zlib.gunzipSync(await depot.repo.payloads.readAll(p.hash), { maxOutputLength: MAX_LICENSE_SHOWN }).toString('utf8')
  } catch (err) {
    if (err instanceof PayloadMissingError) return null
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return `(The licence text is longer than ${MAX_LICENSE_SHOWN / 1024} KiB; info/0 shows it whole.)`
    throw err
  }
}
