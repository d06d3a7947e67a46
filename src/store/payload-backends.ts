/** The payload backend a config names. The S3 one is loaded only when configured: the AWS SDK is large. */
import type { PayloadsConfig } from '../config.js'
import { FilePayloads } from './payload-files.js'
import type { PayloadBackend } from './payload-store.js'

export async function openPayloadBackend (cfg: PayloadsConfig, dataDir: string): Promise<PayloadBackend> {
  if (cfg.backend === 'file') return new FilePayloads(dataDir)
  const { S3Payloads } = await import('./payload-s3.js')
  return new S3Payloads(cfg)
}
