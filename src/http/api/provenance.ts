/**
 * GET /api/v1/publishers/{publisher}/packages/{fmri}/provenance: who
 * published each version of a package and how (store/provenance.ts), as
 * JSON. {fmri} is a stem (every version) or a full FMRI, percent-encoded;
 * a version published before provenance was recorded (or imported) lists
 * no publication.
 */
import type { FastifyInstance } from 'fastify'
import { BadRequestError, NotFoundError } from '../../errors.js'
import { formatVersion } from '../../ips/version.js'
import { parseFmri } from '../../ips/fmri.js'
import { catalogTimeToDate } from '../../ips/timestamp.js'
import { Browse } from '../../store/browse.js'
import { publicationsOf } from '../../store/provenance.js'
import type { DepotServices } from '../depot/context.js'

export async function provenanceApi (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const { repo } = opts.depot
  const browse = new Browse(repo.db)
  app.get<{ Params: { publisher: string, fmri: string } }>('/publishers/:publisher/packages/:fmri/provenance', {
    schema: {
      params: {
        type: 'object',
        required: ['publisher', 'fmri'],
        properties: { publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' }, fmri: { type: 'string', minLength: 1, maxLength: 4096 } }
      }
    }
  }, async req => {
    const { publisher } = req.params
    if (!repo.hasPublisher(publisher)) throw new NotFoundError(`This repository has no publisher named ${publisher}.`)
    const fmri = parseFmri(req.params.fmri)
    if (fmri.publisher !== null && fmri.publisher !== publisher) throw new BadRequestError(`The FMRI names publisher ${fmri.publisher}, not ${publisher}.`)
    const all = browse.versions(publisher, fmri.stem)
    const wanted = fmri.version === null ? all : all.filter(v => v.version === formatVersion(fmri.version!))
    if (wanted.length === 0) throw new NotFoundError(fmri.version === null ? `${publisher} has no package ${fmri.stem}.` : `${publisher} has no version ${formatVersion(fmri.version)} of ${fmri.stem}.`)
    return {
      publisher,
      stem: fmri.stem,
      versions: wanted.map(v => ({
        fmri: `pkg://${publisher}/${fmri.stem}@${v.version}`,
        published: catalogTimeToDate(BigInt(v.published)).toISOString(),
        publications: publicationsOf(repo.db, publisher, fmri.stem, v.version).map(p => ({
          at: p.at,
          via: p.via,
          issuer: p.issuer,
          subject: p.subject,
          client_id: p.clientId,
          exchanged_from: p.exchangedFrom
        }))
      }))
    }
  })
}
