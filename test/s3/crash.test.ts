// The same tests as test/publish/crash.test.ts, with every depot's payloads in an S3-compatible bucket.
import { useS3Payloads } from '../helpers/s3.js'
await useS3Payloads()
// Each kind of kill over each protocol once (the file store's run adds three drawn at random).
process.env.CRASH_ROUNDS ??= '5'
await import('../publish/crash.test.js')
