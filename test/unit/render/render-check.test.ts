import { describe, expect, it } from 'vitest';
import { createPalette } from '../../../src/render/palette.ts';
import { renderCheck } from '../../../src/render/render-check.ts';
import { sampleReport } from '../check/check-fixtures.ts';

describe('the human check', () => {
  it('shows a table per destination with every hop, the schema and each privilege, the failures with their GRANT, and a closing count', () => {
    expect(renderCheck(sampleReport())).toMatchInlineSnapshot(`
      "destination.warehouse: ready (as loader, 63 ms)

        CHECK         TARGET                                                                            RESULT   TIME
        bastion main  tunnel@bastion.example.com:22 SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z  ok      41 ms
        login         loader@10.0.1.5:5432/analytics                                                    ok      12 ms
        schema        kondado                                                                           ok
        CREATE        create a table                                                                    ok       1 ms
        ALTER         add a column to it                                                                ok       2 ms
        INSERT        insert a row                                                                      ok       3 ms
        SELECT        read it back                                                                      ok       4 ms
        DELETE        delete it                                                                         ok       5 ms
        DROP          drop the table                                                                    ok       6 ms

        ! 3 tables or views in schema "kondado" belong to another role, so loader cannot ALTER or DROP them: "legacy_orders", "manual_fixes" and 1 more.

      destination.events: ready (as events_loader, 58 ms)

        CHECK         TARGET                                                                            RESULT   TIME
        bastion main  tunnel@bastion.example.com:22 SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z  ok      41 ms
        login         events_loader@10.0.1.5:5432/analytics                                             ok      12 ms
        schema        public (fallback for events_raw; state agrees)                                    ok
        CREATE        create a table                                                                    ok       1 ms
        ALTER         add a column to it                                                                ok       2 ms
        INSERT        insert a row                                                                      ok       3 ms
        SELECT        read it back                                                                      ok       4 ms
        DELETE        delete it                                                                         ok       5 ms
        DROP          drop the table                                                                    ok       6 ms

      destination.billing: failing (as loader, 71 ms)

        CHECK         TARGET                                                                            RESULT       TIME
        bastion main  tunnel@bastion.example.com:22 SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z  ok          41 ms
        login         loader@10.0.1.5:5432/analytics                                                    ok          12 ms
        schema        billing                                                                           ok
        CREATE        create a table                                                                    FAILED       1 ms
        ALTER         add a column to it                                                                not proven
        INSERT        insert a row                                                                      not proven
        SELECT        read it back                                                                      not proven
        DELETE        delete it                                                                         not proven
        DROP          drop the table                                                                    not proven

        ✗ CREATE: permission denied for schema billing (SQLSTATE 42501)
            loader lacks CREATE on schema "billing", so it cannot create tables in it.
            Ask "finance", who owns schema "billing", or a superuser to run: GRANT CREATE ON SCHEMA "billing" TO "loader";
        ✗ ALTER, INSERT, SELECT, DELETE, DROP: not proven
            There is no table to try it on, since creating one failed.
            Fix CREATE first, then check again.

      destination.local: ready (as loader, 15 ms)

        CHECK   TARGET                       RESULT  TIME
        login   loader@127.0.0.1:5432/local  ok      4 ms
        schema  kondado                      ok
        CREATE  create a table               ok      1 ms
        ALTER   add a column to it           ok      2 ms
        INSERT  insert a row                 ok      3 ms
        SELECT  read it back                 ok      4 ms
        DELETE  delete it                    ok      5 ms
        DROP    drop the table               ok      6 ms

      destination.gamma: unreachable (as loader, 120 ms)

        CHECK          TARGET                                                                          RESULT      TIME
        bastion outer  tunnel@outer.example.com:22 SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z  ok         41 ms
        bastion inner  tunnel@10.0.2.7:22                                                              FAILED
        login          loader@10.0.1.5:5432/analytics                                                  not tried

        ✗ bastion inner tunnel@10.0.2.7:22: SSH authentication refused by bastion "inner" (tunnel@10.0.2.7:22)
            The privileges were not tried; the error printed above says what to try.

      5 destinations checked: 3 ready, 2 failing.
      "
    `);
  });

  it('says when the effective schema is not what state recorded', () => {
    const report = sampleReport();
    report.destinations = [report.destinations[1]!];
    report.destinations[0]!.schema!.recorded = {
      effective: 'events_raw',
      fallback: false,
      agrees: false,
    };
    const text = renderCheck(report);
    expect(text).toMatch(
      /\n  schema +public \(fallback for events_raw; state records events_raw\) +ok\n/,
    );
    expect(text).toContain(
      '! State records schema "events_raw", but the loader writes into "public" now; run pgdest plan to see the change.',
    );
  });

  it('colours results only when asked, and reads the same without colour', () => {
    const coloured = renderCheck(sampleReport(), createPalette(true));
    expect(coloured).toContain('\u001b[32mok');
    expect(coloured).toContain('\u001b[31mFAILED');
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(renderCheck(sampleReport()));
  });

  it('closes with a count even when nothing was checked', () => {
    expect(renderCheck({ destinations: [], diagnostics: [] })).toBe(
      '0 destinations checked: 0 ready, 0 failing.\n',
    );
  });
});
