/**
 * Raw HTTP over loopback: the request target is sent exactly as given
 * (percent-encoding and all), as the recorded pkg(5) clients sent it.
 */
import http from 'node:http'

export interface RawResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

/** `onSent` is called once the whole request has been handed to the OS. */
export function request (port: number, method: string, target: string, headers: Record<string, string> = {}, body?: Buffer | string, onSent?: () => void): Promise<RawResponse> {
  return send('127.0.0.1', port, method, target, headers, body, onSent)
}

/**
 * Requests from another loopback address (127.0.0.2, 127.0.0.3, …): to
 * the depot, another client, as separate machines would be.
 */
export function clientAt (address: string): (port: number, method: string, target: string, headers?: Record<string, string>) => Promise<RawResponse> {
  return async (port, method, target, headers = {}) => await send(address, port, method, target, headers)
}

function send (localAddress: string, port: number, method: string, target: string, headers: Record<string, string>, body?: Buffer | string, onSent?: () => void): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', localAddress, port, method, path: target, headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (onSent !== undefined) req.once('finish', onSent)
    req.end(body)
  })
}

/** The text of the <p> element of an error page, unescaped, as the pkg client reads it. */
export function errorMessage (body: Buffer): string | undefined {
  const m = /<p>([\s\S]*?)<\/p>/.exec(body.toString('utf8'))
  return m?.[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim()
}

/** Polls `done` every 100 ms until it holds; fails naming `what` after `seconds`. */
export async function until (what: string, done: () => Promise<boolean> | boolean, seconds = 30): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await done()) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting until ${what}`)
}
