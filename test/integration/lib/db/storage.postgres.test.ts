import { openStorage } from '../../../../lib/db/index.ts'
import { describeAccessContract } from './api-keys.contract.ts'
import { createTestDatabase } from './postgres-test-database.ts'
import { describeRepositoryContract } from './repository.contract.ts'

describeRepositoryContract('PostgreSQL (node-postgres)', async () => {
  const database = await createTestDatabase()
  return { storage: await openStorage({ driver: 'postgres', url: database.url }), cleanup: database.drop }
})

describeAccessContract('PostgreSQL (node-postgres)', async () => {
  const database = await createTestDatabase()
  return { storage: await openStorage({ driver: 'postgres', url: database.url }), cleanup: database.drop }
})
