import { openStorage } from '../../../../lib/db/index.ts'
import { describeAccessContract } from './api-keys.contract.ts'
import { describeRepositoryContract } from './repository.contract.ts'

describeRepositoryContract('PGlite (in memory)', async () => ({
  storage: await openStorage({ driver: 'pglite-memory' }),
}))

describeAccessContract('PGlite (in memory)', async () => ({
  storage: await openStorage({ driver: 'pglite-memory' }),
}))
