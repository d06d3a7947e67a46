/**
 * Certificate chains made for a test with Debian's openssl: a trust anchor,
 * intermediates each issued by the one before, and a signer, as pkgsign's
 * `-c signer.pem -i int-n.pem … -i int-1.pem` takes them. Keys are made
 * here and thrown away with the directory.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export interface Chain {
  readonly anchor: Buffer
  /** Issued by the anchor first; the signer's issuer last. */
  readonly intermediates: readonly Buffer[]
  readonly signer: Buffer
  readonly signerKey: string
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
const LEAF_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'

export function makeChain (dir: string, intermediates: number): Chain {
  const file = (name: string): string => path.join(dir, name)
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'pipe' }) }
  fs.writeFileSync(file('ca.ext'), CA_EXT)
  fs.writeFileSync(file('leaf.ext'), LEAF_EXT)
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('anchor.key'), '-out', file('anchor.pem'), '-days', '3650',
    '-subj', '/CN=ips-depot test anchor', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  const issue = (name: string, cn: string, issuer: string, ext: string): void => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${cn}`)
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${issuer}.pem`), '-CAkey', file(`${issuer}.key`), '-set_serial', String(Date.now() % 1e9),
      '-days', '3650', '-out', file(`${name}.pem`), '-extfile', file(ext))
  }
  let issuer = 'anchor'
  for (let i = 1; i <= intermediates; i++) {
    issue(`int-${i}`, `ips-depot test intermediate ${i}`, issuer, 'ca.ext')
    issuer = `int-${i}`
  }
  issue('signer', 'ips-depot test signer', issuer, 'leaf.ext')
  return {
    anchor: fs.readFileSync(file('anchor.pem')),
    intermediates: Array.from({ length: intermediates }, (_, i) => fs.readFileSync(file(`int-${i + 1}.pem`))),
    signer: fs.readFileSync(file('signer.pem')),
    signerKey: file('signer.key')
  }
}
