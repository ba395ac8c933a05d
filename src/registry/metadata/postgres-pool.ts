import pg from 'pg';

/** PostgreSQL's type OID of BIGINT (int8). */
const INT8 = 20;

/**
 * A connection pool for the registry's PostgreSQL database, shared in shape by
 * the metadata store and the governance tables.
 */
export function openPostgresPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Ids, sizes, counts and times are BIGINT; every value the registry stores fits a double exactly.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8
          ? Number
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that breaks (a server restart) is dropped by the pool and
  // replaced on the next query; unhandled, its error would end the process.
  pool.on('error', () => {});
  return pool;
}
