// The same tests as test/golden/read-replay.test.ts, with every depot's payloads in an S3-compatible bucket.
import { useS3Payloads } from '../helpers/s3.js'
await useS3Payloads()
await import('../golden/read-replay.test.js')
