import type { GovernanceDatabase } from './database.js';

/**
 * The column types a governance table is written with, so that each table is
 * written once for both databases. SQLite's INTEGER is 64-bit and its INTEGER
 * PRIMARY KEY numbers itself; PostgreSQL needs BIGINT and BIGSERIAL for the
 * same, the `C` collation for names to sort by byte as they do on SQLite, and
 * has no WITHOUT ROWID tables. Flags stay INTEGER 0/1 on both.
 */
export interface ColumnTypes {
  /** A row id that numbers itself (the whole column definition). */
  readonly serial: string;
  /** Times, sizes, limits and references to row ids. */
  readonly int64: string;
  /** Text compared and sorted byte by byte (names, tags). */
  readonly bytewiseText: string;
  /** Follows the closing parenthesis of a table that is keyed by its primary key alone. */
  readonly withoutRowid: string;
}

const SQLITE: ColumnTypes = {
  serial: 'INTEGER PRIMARY KEY',
  int64: 'INTEGER',
  bytewiseText: 'TEXT',
  withoutRowid: ' WITHOUT ROWID',
};

const POSTGRES: ColumnTypes = {
  serial: 'BIGSERIAL PRIMARY KEY',
  int64: 'BIGINT',
  bytewiseText: 'TEXT COLLATE "C"',
  withoutRowid: '',
};

/** The column types of the database behind `db`. */
export const columnTypesOf = (db: Pick<GovernanceDatabase, 'dialect'>): ColumnTypes =>
  db.dialect === 'postgres' ? POSTGRES : SQLITE;
