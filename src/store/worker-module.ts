/**
 * The module a worker thread runs. Built (dist/), its sibling .js. From the
 * TypeScript sources (the tests run src/ through a loader), the build of it
 * in dist/ when that build is newer than every source file: a worker that
 * compiles TypeScript as it starts spends seconds of CPU (2.7 s against
 * 0.15 s for two search workers), and the tests start hundreds. Otherwise
 * the .ts itself, so an unbuilt change still runs as written.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

let current: boolean | undefined

function newestSource (dir: string): number {
  let newest = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0)
  }
  return newest
}

/** The worker's module, and the Node options it starts with (the parent's, less a TypeScript loader the built module does not need). */
export function workerModule (name: string, base: string): { readonly url: URL, readonly execArgv?: string[] } {
  if (!base.endsWith('.ts')) return { url: new URL(`./${name}.js`, base) }
  const source = fileURLToPath(new URL(`./${name}.ts`, base))
  const src = source.slice(0, source.lastIndexOf(`${path.sep}src${path.sep}`) + 5)
  const built = path.join(path.dirname(src), 'dist', 'src', path.relative(src, source)).replace(/\.ts$/, '.js')
  current ??= fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource(src)
  if (!current) return { url: new URL(`./${name}.ts`, base) }
  return { url: pathToFileURL(built), execArgv: process.execArgv.filter(a => !/^--(import|loader|experimental-loader)\b/.test(a)) }
}
