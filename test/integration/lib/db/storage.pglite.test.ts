import { openStorage } from '../../../../lib/db/index.ts'
import { describeRepositoryContract } from './repository.contract.ts'

describeRepositoryContract('PGlite (in memory)', async () => ({
  storage: await openStorage({ driver: 'pglite-memory' }),
}))
