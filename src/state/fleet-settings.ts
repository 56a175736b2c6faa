import type { StateDb } from './state.ts';

/** Settings every instance sharing the state agrees on, by name (JSON or plain text values). */
export class FleetSettings {
  constructor(private readonly db: StateDb) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('fleet_settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /** Records `value` unless a value is recorded already; returns the value that stands (the first one written). */
  async settle(name: string, value: string, now: Date): Promise<string> {
    await this.db
      .insertInto('fleet_settings')
      .values({ name, value, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.get(name))!;
  }

  /**
   * Reads the value of `name` and writes what `change` makes of it, in one transaction holding the row, so that
   * instances changing it at once do not lose each other's change. `change` may throw to refuse (nothing changes).
   */
  async update<T>(
    name: string,
    now: Date,
    change: (value: string | undefined) => { value: string; result: T },
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      // The first writer of a name creates its row; holding it makes the others wait for that writer's change.
      await trx
        .insertInto('fleet_settings')
        .values({ name, value: '', updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await trx
        .selectFrom('fleet_settings')
        .select('value')
        .where('name', '=', name)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const { value, result } = change(row.value === '' ? undefined : row.value);
      await trx.updateTable('fleet_settings').set({ value, updated_at: now }).where('name', '=', name).execute();
      return result;
    });
  }

  async set(name: string, value: string, now: Date): Promise<void> {
    await this.db
      .insertInto('fleet_settings')
      .values({ name, value, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
      .execute();
  }
}
