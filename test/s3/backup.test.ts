// The same tests as test/ops/backup.test.ts, with every depot's payloads in an S3-compatible bucket.
import { useS3Payloads } from '../helpers/s3.js'
await useS3Payloads()
await import('../ops/backup.test.js')
