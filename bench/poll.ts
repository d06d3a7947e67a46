/**
 * A reader in its own process: polls a URL every 10 ms until told to stop,
 * then reports its slowest answer. Measured from another process, so the
 * load generator's own work (building a 48 MiB body) never counts as the
 * depot's latency.
 */
const url = process.argv[2]!
let polling = true
let slowest = 0
let reads = 0
process.on('message', () => { polling = false })
process.send!('ready')
while (polling) {
  const started = performance.now()
  const res = await fetch(url)
  await res.arrayBuffer()
  if (!res.ok) throw new Error(`${url}: ${res.status}`)
  slowest = Math.max(slowest, performance.now() - started)
  reads++
  await new Promise(resolve => setTimeout(resolve, 10))
}
process.send!({ slowest, reads }, () => process.exit(0))
